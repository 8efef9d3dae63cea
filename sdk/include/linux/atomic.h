/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: atomic_t, atomic64_t and atomic_long_t, with Linux 6.12's operations and ordering rules,
 * as trivial inlines over gcc's __atomic builtins (x86-64 TSO: every read-modify-write is a locked,
 * fully ordered instruction; plain reads and sets are READ_ONCE/WRITE_ONCE).  Written for lkm.
 */
#ifndef _LINUX_ATOMIC_H
#define _LINUX_ATOMIC_H

#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/compiler.h>
#include <asm/barrier.h>

#define ATOMIC64_INIT(i)	{ (i) }
#define ATOMIC_LONG_INIT(i)	ATOMIC64_INIT(i)

/* Generic exchange on any scalar (xchg, cmpxchg, try_cmpxchg). */
#define xchg(ptr, v)		__atomic_exchange_n((ptr), (v), __ATOMIC_SEQ_CST)
#define xchg_relaxed(ptr, v)	__atomic_exchange_n((ptr), (v), __ATOMIC_RELAXED)
#define xchg_acquire(ptr, v)	__atomic_exchange_n((ptr), (v), __ATOMIC_ACQUIRE)
#define xchg_release(ptr, v)	__atomic_exchange_n((ptr), (v), __ATOMIC_RELEASE)
#define __lkm_cmpxchg(ptr, o, n, mo) ({					\
	__typeof__(*(ptr)) __lkm_old = (o);				\
	__atomic_compare_exchange_n((ptr), &__lkm_old, (n), 0, (mo), __ATOMIC_RELAXED); \
	__lkm_old;							\
})
#define cmpxchg(ptr, o, n)		__lkm_cmpxchg(ptr, o, n, __ATOMIC_SEQ_CST)
#define cmpxchg_relaxed(ptr, o, n)	__lkm_cmpxchg(ptr, o, n, __ATOMIC_RELAXED)
#define cmpxchg_acquire(ptr, o, n)	__lkm_cmpxchg(ptr, o, n, __ATOMIC_ACQUIRE)
#define cmpxchg_release(ptr, o, n)	__lkm_cmpxchg(ptr, o, n, __ATOMIC_RELEASE)
#define cmpxchg64(ptr, o, n)		cmpxchg(ptr, o, n)
#define cmpxchg_local(ptr, o, n)	cmpxchg(ptr, o, n)
#define try_cmpxchg(ptr, oldp, n) \
	__atomic_compare_exchange_n((ptr), (oldp), (n), 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)
#define try_cmpxchg_relaxed(ptr, oldp, n) \
	__atomic_compare_exchange_n((ptr), (oldp), (n), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define try_cmpxchg_acquire(ptr, oldp, n) \
	__atomic_compare_exchange_n((ptr), (oldp), (n), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
#define try_cmpxchg_release(ptr, oldp, n) \
	__atomic_compare_exchange_n((ptr), (oldp), (n), 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED)

/* Each value-returning operation comes in four orderings: full, _relaxed, _acquire, _release. */
#define __LKM_ATOMIC_ORDERED(pfx, T, V, sfx, mo)					\
static __always_inline T pfx##_add_return##sfx(T i, V *v) { return __atomic_add_fetch(&v->counter, i, mo); } \
static __always_inline T pfx##_sub_return##sfx(T i, V *v) { return __atomic_sub_fetch(&v->counter, i, mo); } \
static __always_inline T pfx##_inc_return##sfx(V *v) { return __atomic_add_fetch(&v->counter, 1, mo); } \
static __always_inline T pfx##_dec_return##sfx(V *v) { return __atomic_sub_fetch(&v->counter, 1, mo); } \
static __always_inline T pfx##_fetch_add##sfx(T i, V *v) { return __atomic_fetch_add(&v->counter, i, mo); } \
static __always_inline T pfx##_fetch_sub##sfx(T i, V *v) { return __atomic_fetch_sub(&v->counter, i, mo); } \
static __always_inline T pfx##_fetch_inc##sfx(V *v) { return __atomic_fetch_add(&v->counter, 1, mo); } \
static __always_inline T pfx##_fetch_dec##sfx(V *v) { return __atomic_fetch_sub(&v->counter, 1, mo); } \
static __always_inline T pfx##_fetch_and##sfx(T i, V *v) { return __atomic_fetch_and(&v->counter, i, mo); } \
static __always_inline T pfx##_fetch_andnot##sfx(T i, V *v) { return __atomic_fetch_and(&v->counter, ~i, mo); } \
static __always_inline T pfx##_fetch_or##sfx(T i, V *v) { return __atomic_fetch_or(&v->counter, i, mo); } \
static __always_inline T pfx##_fetch_xor##sfx(T i, V *v) { return __atomic_fetch_xor(&v->counter, i, mo); } \
static __always_inline T pfx##_xchg##sfx(V *v, T n) { return __atomic_exchange_n(&v->counter, n, mo); } \
static __always_inline T pfx##_cmpxchg##sfx(V *v, T o, T n)				\
{ __typeof__(v->counter) __o = o; __atomic_compare_exchange_n(&v->counter, &__o, n, 0, mo, __ATOMIC_RELAXED); return __o; }	\
static __always_inline bool pfx##_try_cmpxchg##sfx(V *v, T *o, T n)			\
{ return __atomic_compare_exchange_n(&v->counter, (__typeof__(v->counter) *)o, n, 0, mo, __ATOMIC_RELAXED); }

#define __LKM_ATOMIC_OPS(pfx, T, V)							\
static __always_inline T pfx##_read(const V *v) { return READ_ONCE(v->counter); }	\
static __always_inline T pfx##_read_acquire(const V *v) { return smp_load_acquire(&v->counter); } \
static __always_inline void pfx##_set(V *v, T i) { WRITE_ONCE(v->counter, i); }	\
static __always_inline void pfx##_set_release(V *v, T i) { smp_store_release(&v->counter, i); } \
static __always_inline void pfx##_add(T i, V *v) { __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); } \
static __always_inline void pfx##_sub(T i, V *v) { __atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); } \
static __always_inline void pfx##_inc(V *v) { __atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED); } \
static __always_inline void pfx##_dec(V *v) { __atomic_fetch_sub(&v->counter, 1, __ATOMIC_RELAXED); } \
static __always_inline void pfx##_and(T i, V *v) { __atomic_fetch_and(&v->counter, i, __ATOMIC_RELAXED); } \
static __always_inline void pfx##_andnot(T i, V *v) { __atomic_fetch_and(&v->counter, ~i, __ATOMIC_RELAXED); } \
static __always_inline void pfx##_or(T i, V *v) { __atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED); } \
static __always_inline void pfx##_xor(T i, V *v) { __atomic_fetch_xor(&v->counter, i, __ATOMIC_RELAXED); } \
__LKM_ATOMIC_ORDERED(pfx, T, V, , __ATOMIC_SEQ_CST)					\
__LKM_ATOMIC_ORDERED(pfx, T, V, _relaxed, __ATOMIC_RELAXED)				\
__LKM_ATOMIC_ORDERED(pfx, T, V, _acquire, __ATOMIC_ACQUIRE)				\
__LKM_ATOMIC_ORDERED(pfx, T, V, _release, __ATOMIC_RELEASE)				\
static __always_inline bool pfx##_sub_and_test(T i, V *v) { return pfx##_sub_return(i, v) == 0; } \
static __always_inline bool pfx##_dec_and_test(V *v) { return pfx##_dec_return(v) == 0; } \
static __always_inline bool pfx##_inc_and_test(V *v) { return pfx##_inc_return(v) == 0; } \
static __always_inline bool pfx##_add_negative(T i, V *v) { return pfx##_add_return(i, v) < 0; } \
static __always_inline T pfx##_fetch_add_unless(V *v, T a, T u)				\
{											\
	T c = pfx##_read(v);								\
	do {										\
		if (unlikely(c == u))							\
			break;								\
	} while (!pfx##_try_cmpxchg(v, &c, c + a));					\
	return c;									\
}											\
static __always_inline bool pfx##_add_unless(V *v, T a, T u) { return pfx##_fetch_add_unless(v, a, u) != u; } \
static __always_inline bool pfx##_inc_not_zero(V *v) { return pfx##_add_unless(v, 1, 0); } \
static __always_inline bool pfx##_inc_unless_negative(V *v)				\
{											\
	T c = pfx##_read(v);								\
	do {										\
		if (unlikely(c < 0))							\
			return false;							\
	} while (!pfx##_try_cmpxchg(v, &c, c + 1));					\
	return true;									\
}											\
static __always_inline bool pfx##_dec_unless_positive(V *v)				\
{											\
	T c = pfx##_read(v);								\
	do {										\
		if (unlikely(c > 0))							\
			return false;							\
	} while (!pfx##_try_cmpxchg(v, &c, c - 1));					\
	return true;									\
}											\
static __always_inline T pfx##_dec_if_positive(V *v)					\
{											\
	T dec, c = pfx##_read(v);							\
	do {										\
		dec = c - 1;								\
		if (unlikely(dec < 0))							\
			break;								\
	} while (!pfx##_try_cmpxchg(v, &c, dec));					\
	return dec;									\
}

__LKM_ATOMIC_OPS(atomic, int, atomic_t)
__LKM_ATOMIC_OPS(atomic64, s64, atomic64_t)
/* atomic_long_t is atomic64_t on 64-bit (<linux/types.h>). */
__LKM_ATOMIC_OPS(atomic_long, long, atomic_long_t)

#define atomic_cond_read_relaxed(v, c)	smp_cond_load_relaxed(&(v)->counter, (c))
#define atomic_cond_read_acquire(v, c)	smp_cond_load_acquire(&(v)->counter, (c))

#endif /* _LINUX_ATOMIC_H */
