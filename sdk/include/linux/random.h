/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: the kernel's random numbers (from the host's getrandom()).
 * Written for lkm.
 */
#ifndef _LINUX_RANDOM_H
#define _LINUX_RANDOM_H

#include <linux/types.h>
#include <linux/compiler.h>

void get_random_bytes(void *buf, size_t len);
u8 get_random_u8(void);
u16 get_random_u16(void);
u32 get_random_u32(void);
u64 get_random_u64(void);

static inline unsigned long get_random_long(void)
{
	return get_random_u64();
}

u32 __get_random_u32_below(u32 ceil);

/* A uniformly distributed number in [0, ceil); ceil must be nonzero. */
static inline u32 get_random_u32_below(u32 ceil)
{
	return __get_random_u32_below(ceil);
}

/* A uniformly distributed number in [floor, U32_MAX]. */
static inline u32 get_random_u32_above(u32 floor)
{
	return floor + get_random_u32_below(~(u32)0 - floor) + 1;
}

/* A uniformly distributed number in [floor, ceil]. */
static inline u32 get_random_u32_inclusive(u32 floor, u32 ceil)
{
	return floor + get_random_u32_below(ceil - floor + 1);
}

#endif /* _LINUX_RANDOM_H */
