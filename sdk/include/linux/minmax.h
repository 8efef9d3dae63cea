/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: min/max/clamp.  Written for lkm.  Each argument is evaluated once.
 * Unlike Linux 6.12, mixed-signedness arguments are not rejected at compile
 * time; the usual C conversions apply.
 */
#ifndef _LINUX_MINMAX_H
#define _LINUX_MINMAX_H

#include <linux/compiler.h>

#define __lkm_pick(op, x, y, ux, uy) ({				\
	__auto_type ux = (x);					\
	__auto_type uy = (y);					\
	ux op uy ? ux : uy; })

#define __lkm_cmp(op, x, y) \
	__lkm_pick(op, x, y, __UNIQUE_ID(x_), __UNIQUE_ID(y_))

#define min(x, y)	__lkm_cmp(<, x, y)
#define max(x, y)	__lkm_cmp(>, x, y)
#define umin(x, y)	__lkm_cmp(<, (x) + 0u + 0ul + 0ull, (y) + 0u + 0ul + 0ull)
#define umax(x, y)	__lkm_cmp(>, (x) + 0u + 0ul + 0ull, (y) + 0u + 0ul + 0ull)
#define min3(x, y, z)	min((typeof(x))min(x, y), z)
#define max3(x, y, z)	max((typeof(x))max(x, y), z)

#define min_t(type, x, y)	__lkm_cmp(<, (type)(x), (type)(y))
#define max_t(type, x, y)	__lkm_cmp(>, (type)(x), (type)(y))

#define min_not_zero(x, y) ({			\
	typeof(x) __lkm_x = (x);		\
	typeof(y) __lkm_y = (y);		\
	__lkm_x == 0 ? __lkm_y : ((__lkm_y == 0) ? __lkm_x : min(__lkm_x, __lkm_y)); })

#define clamp(val, lo, hi)		min((typeof(val))max(val, lo), hi)
#define clamp_t(type, val, lo, hi)	min_t(type, max_t(type, val, lo), hi)
#define clamp_val(val, lo, hi)		clamp_t(typeof(val), val, lo, hi)

#define swap(a, b) \
	do { typeof(a) __lkm_tmp = (a); (a) = (b); (b) = __lkm_tmp; } while (0)

#endif
