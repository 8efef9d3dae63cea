/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: jiffies (Linux 6.12's jiffies.h for HZ = 250 on 64 bits).  Written
 * for lkm.  jiffies and jiffies_64 are kernel data, advanced by the sandbox's
 * tick thread 250 times a second from INITIAL_JIFFIES, whose low 32 bits wrap
 * five minutes after boot as on Linux.
 */
#ifndef _LINUX_JIFFIES_H
#define _LINUX_JIFFIES_H

#include <linux/types.h>
#include <linux/limits.h>
#include <linux/typecheck.h>
#include <linux/time.h>

#define HZ		250
#define USER_HZ		100
#define CLOCKS_PER_SEC	(USER_HZ)
#define TICK_NSEC	((NSEC_PER_SEC + HZ / 2) / HZ)
#define TICK_USEC	((USEC_PER_SEC + HZ / 2) / HZ)

/* Five minutes before the low 32 bits of jiffies wrap. */
#define INITIAL_JIFFIES ((unsigned long)(unsigned int) (-300 * HZ))

extern u64 jiffies_64;
extern unsigned long volatile jiffies;

extern u64 get_jiffies_64(void);

/*
 * time_after(a,b) returns true if the time a is after time b.  Do this with
 * "<0" and ">=0" to only test the sign of the result: it copes with wrapping.
 */
#define time_after(a,b)		\
	(typecheck(unsigned long, a) && \
	 typecheck(unsigned long, b) && \
	 ((long)((b) - (a)) < 0))
#define time_before(a,b)	time_after(b,a)

#define time_after_eq(a,b)	\
	(typecheck(unsigned long, a) && \
	 typecheck(unsigned long, b) && \
	 ((long)((a) - (b)) >= 0))
#define time_before_eq(a,b)	time_after_eq(b,a)

#define time_in_range(a,b,c) \
	(time_after_eq(a,b) && \
	 time_before_eq(a,c))
#define time_in_range_open(a,b,c) \
	(time_after_eq(a,b) && \
	 time_before(a,c))

#define time_after64(a,b)	\
	(typecheck(__u64, a) &&	\
	 typecheck(__u64, b) && \
	 ((__s64)((b) - (a)) < 0))
#define time_before64(a,b)	time_after64(b,a)
#define time_after_eq64(a,b)	\
	(typecheck(__u64, a) && \
	 typecheck(__u64, b) && \
	 ((__s64)((a) - (b)) >= 0))
#define time_before_eq64(a,b)	time_after_eq64(b,a)
#define time_in_range64(a, b, c) \
	(time_after_eq64(a, b) && \
	 time_before_eq64(a, c))

#define time_is_before_jiffies(a) time_after(jiffies, a)
#define time_is_before_jiffies64(a) time_after64(get_jiffies_64(), a)
#define time_is_after_jiffies(a) time_before(jiffies, a)
#define time_is_after_jiffies64(a) time_before64(get_jiffies_64(), a)
#define time_is_before_eq_jiffies(a) time_after_eq(jiffies, a)
#define time_is_before_eq_jiffies64(a) time_after_eq64(get_jiffies_64(), a)
#define time_is_after_eq_jiffies(a) time_before_eq(jiffies, a)
#define time_is_after_eq_jiffies64(a) time_before_eq64(get_jiffies_64(), a)

#define MAX_JIFFY_OFFSET ((LONG_MAX >> 1)-1)
#define MAX_SCHEDULE_TIMEOUT	LONG_MAX

/* Conversions (the sandbox's exports; HZ = 250: 4 ms a jiffy). */
extern unsigned int jiffies_to_msecs(const unsigned long j);
extern unsigned int jiffies_to_usecs(const unsigned long j);
extern u64 jiffies64_to_nsecs(u64 j);
extern u64 jiffies64_to_msecs(u64 j);
extern unsigned long __msecs_to_jiffies(const unsigned int m);
extern unsigned long __usecs_to_jiffies(const unsigned int u);
extern unsigned long nsecs_to_jiffies(u64 n);
extern u64 nsecs_to_jiffies64(u64 n);
extern clock_t jiffies_to_clock_t(unsigned long x);
extern unsigned long timespec64_to_jiffies(const struct timespec64 *value);
extern void jiffies_to_timespec64(const unsigned long jiffies, struct timespec64 *value);

extern unsigned long round_jiffies(unsigned long j);
extern unsigned long round_jiffies_relative(unsigned long j);
extern unsigned long round_jiffies_up(unsigned long j);
extern unsigned long round_jiffies_up_relative(unsigned long j);

static inline u64 jiffies_to_nsecs(const unsigned long j)
{
	return (u64)jiffies_to_usecs(j) * NSEC_PER_USEC;
}

static inline unsigned long _msecs_to_jiffies(const unsigned int m)
{
	return (m + (MSEC_PER_SEC / HZ) - 1) / (MSEC_PER_SEC / HZ);
}

static inline unsigned long _usecs_to_jiffies(const unsigned int u)
{
	return (u + (USEC_PER_SEC / HZ) - 1) / (USEC_PER_SEC / HZ);
}

/* Rounds up: a timeout never expires early.  Negative (as int) means "forever". */
static __always_inline unsigned long msecs_to_jiffies(const unsigned int m)
{
	if (__builtin_constant_p(m)) {
		if ((int)m < 0)
			return MAX_JIFFY_OFFSET;
		return _msecs_to_jiffies(m);
	}
	return __msecs_to_jiffies(m);
}

static __always_inline unsigned long usecs_to_jiffies(const unsigned int u)
{
	if (__builtin_constant_p(u))
		return _usecs_to_jiffies(u);
	return __usecs_to_jiffies(u);
}

static inline unsigned long secs_to_jiffies(unsigned int s)
{
	return (unsigned long)s * HZ;
}

#define jiffies_to_ktime(j)	((ktime_t)jiffies_to_nsecs(j))

#endif /* _LINUX_JIFFIES_H */
