/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: rounding and small arithmetic helpers.  Written for lkm. */
#ifndef _LINUX_MATH_H
#define _LINUX_MATH_H

#include <linux/types.h>

/* round_up/round_down: y must be a power of two. */
#define __round_mask(x, y) ((__typeof__(x))((y) - 1))
#define round_up(x, y) ((((x) - 1) | __round_mask(x, y)) + 1)
#define round_down(x, y) ((x) & ~__round_mask(x, y))

#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define DIV_ROUND_DOWN_ULL(ll, d) \
	({ unsigned long long _tmp = (ll); _tmp / (d); })
#define DIV_ROUND_UP_ULL(ll, d)	DIV_ROUND_DOWN_ULL((unsigned long long)(ll) + (d) - 1, (d))

#define roundup(x, y) ({				\
	typeof(y) __lkm_y = y;				\
	(((x) + (__lkm_y - 1)) / __lkm_y) * __lkm_y;	\
})
#define rounddown(x, y) ({				\
	typeof(x) __lkm_x = (x);			\
	__lkm_x - (__lkm_x % (y));			\
})

/* Divide, rounding to the nearest integer (halves away from zero). */
#define DIV_ROUND_CLOSEST(x, divisor) ({				\
	typeof(x) __lkm_x = x;						\
	typeof(divisor) __lkm_d = divisor;				\
	(((typeof(x))-1) > 0 || ((typeof(divisor))-1) > 0 ||		\
	 (((__lkm_x) > 0) == ((__lkm_d) > 0))) ?			\
		(((__lkm_x) + ((__lkm_d) / 2)) / (__lkm_d)) :		\
		(((__lkm_x) - ((__lkm_d) / 2)) / (__lkm_d));		\
})

/* Absolute value of a signed integer expression (of type long long or smaller). */
#define abs(x) __builtin_choose_expr(sizeof(x) == sizeof(long long),	\
	({ long long __lkm_v = (x); __lkm_v < 0 ? -__lkm_v : __lkm_v; }),	\
	({ long __lkm_v = (x); __lkm_v < 0 ? -__lkm_v : __lkm_v; }))

#define abs_diff(a, b) ({			\
	typeof(a) __lkm_a = (a);		\
	typeof(b) __lkm_b = (b);		\
	__lkm_a > __lkm_b ? (__lkm_a - __lkm_b) : (__lkm_b - __lkm_a);	\
})

#endif
