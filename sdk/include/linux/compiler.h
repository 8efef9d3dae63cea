/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: branch hints, barriers and ONCE accessors.  Written for lkm. */
#ifndef __LINUX_COMPILER_H
#define __LINUX_COMPILER_H

#include <linux/compiler_types.h>

#ifndef __ASSEMBLY__

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define likely_notrace(x)	likely(x)
#define unlikely_notrace(x)	unlikely(x)

#define barrier()		__asm__ __volatile__("" : : : "memory")
#define barrier_data(ptr)	__asm__ __volatile__("" : : "r"(ptr) : "memory")
#define unreachable()		__builtin_unreachable()

#define OPTIMIZER_HIDE_VAR(var)	__asm__ ("" : "=r" (var) : "0" (var))

#define RELOC_HIDE(ptr, off)						\
({									\
	unsigned long __lkm_ptr;					\
	__asm__ ("" : "=r"(__lkm_ptr) : "0"(ptr));			\
	(typeof(ptr)) (__lkm_ptr + (off));				\
})

/* Keep a symbol referenced (in a discarded section) so it is not dropped. */
#define ___ADDRESSABLE(sym, __attrs)					\
	static void * __used __attrs					\
	__UNIQUE_ID(__PASTE(__addressable_, sym)) = (void *)(unsigned long)&sym;
#define __ADDRESSABLE(sym) \
	___ADDRESSABLE(sym, __section(".discard.addressable"))

/* 1 if x is an integer constant expression, 0 otherwise. */
#define __is_constexpr(x) \
	(sizeof(int) == sizeof(*(8 ? ((void *)((long)(x) * 0l)) : (int *)8)))

/* Zero when a is an array; a build error when it is a pointer. */
#define __must_be_array(a)	BUILD_BUG_ON_ZERO(__same_type((a), &(a)[0]))

#define __READ_ONCE(x)	(*(const volatile __unqual_scalar_typeof(x) *)&(x))
#define READ_ONCE(x)							\
({									\
	compiletime_assert(__native_word(x) || sizeof(x) == sizeof(long long), \
		"Unsupported access size for {READ,WRITE}_ONCE().");	\
	__READ_ONCE(x);							\
})

#define __WRITE_ONCE(x, val)						\
do {									\
	*(volatile typeof(x) *)&(x) = (val);				\
} while (0)
#define WRITE_ONCE(x, val)						\
do {									\
	compiletime_assert(__native_word(x) || sizeof(x) == sizeof(long long), \
		"Unsupported access size for {READ,WRITE}_ONCE().");	\
	__WRITE_ONCE(x, val);						\
} while (0)

#define data_race(expr)		(expr)

#include <linux/build_bug.h>

#endif /* !__ASSEMBLY__ */

#endif /* __LINUX_COMPILER_H */
