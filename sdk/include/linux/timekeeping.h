/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: reading the clocks (Linux 6.12's timekeeping.h).  Written for lkm.
 * CLOCK_MONOTONIC counts from the sandbox kernel's boot (jiffies agree with
 * it); CLOCK_BOOTTIME and CLOCK_MONOTONIC_RAW equal it (the sandbox never
 * suspends); CLOCK_REALTIME is the host's.
 */
#ifndef _LINUX_TIMEKEEPING_H
#define _LINUX_TIMEKEEPING_H

#include <linux/ktime.h>

extern ktime_t ktime_get(void);
extern ktime_t ktime_get_real(void);
extern ktime_t ktime_get_boottime(void);
extern ktime_t ktime_get_raw(void);
extern ktime_t ktime_get_clocktai(void);
extern time64_t ktime_get_seconds(void);
extern time64_t ktime_get_real_seconds(void);
extern u64 ktime_get_mono_fast_ns(void);
extern u64 ktime_get_real_fast_ns(void);

extern void ktime_get_ts64(struct timespec64 *ts);
extern void ktime_get_real_ts64(struct timespec64 *tv);
extern void ktime_get_coarse_real_ts64(struct timespec64 *ts);
extern void ktime_get_coarse_ts64(struct timespec64 *ts);
extern void ktime_get_boottime_ts64(struct timespec64 *ts);
extern void ktime_get_raw_ts64(struct timespec64 *ts);

static inline ktime_t ktime_get_coarse(void) { return ktime_get(); }
static inline ktime_t ktime_get_coarse_real(void) { return ktime_get_real(); }
static inline ktime_t ktime_get_coarse_boottime(void) { return ktime_get_boottime(); }

static inline u64 ktime_get_ns(void) { return ktime_to_ns(ktime_get()); }
static inline u64 ktime_get_real_ns(void) { return ktime_to_ns(ktime_get_real()); }
static inline u64 ktime_get_boottime_ns(void) { return ktime_to_ns(ktime_get_boottime()); }
static inline u64 ktime_get_clocktai_ns(void) { return ktime_to_ns(ktime_get_clocktai()); }
static inline u64 ktime_get_raw_ns(void) { return ktime_to_ns(ktime_get_raw()); }
static inline u64 ktime_get_coarse_ns(void) { return ktime_to_ns(ktime_get_coarse()); }
static inline u64 ktime_get_coarse_real_ns(void) { return ktime_to_ns(ktime_get_coarse_real()); }
static inline u64 ktime_get_boot_fast_ns(void) { return ktime_get_mono_fast_ns(); }
static inline u64 ktime_get_raw_fast_ns(void) { return ktime_get_mono_fast_ns(); }

static inline time64_t ktime_get_boottime_seconds(void) { return ktime_get_seconds(); }

static inline void ktime_get_real_ts64_compat(struct timespec64 *ts) { ktime_get_real_ts64(ts); }
#define ktime_get_real_ts64_compat ktime_get_real_ts64_compat

static inline time64_t ktime_get_clocktai_seconds(void)
{
	return ktime_get_clocktai() / NSEC_PER_SEC;
}

#endif /* _LINUX_TIMEKEEPING_H */
