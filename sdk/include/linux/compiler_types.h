/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: compiler glue force-included into every C file (as kbuild does
 * with -include linux/compiler_types.h).  Written for lkm.
 */
#ifndef __LINUX_COMPILER_TYPES_H
#define __LINUX_COMPILER_TYPES_H

#ifndef __ASSEMBLY__

#include <linux/compiler_attributes.h>

/* Sparse annotations: no effect when compiling with gcc. */
#define __user
#define __kernel
#define __iomem
#define __percpu
#define __rcu
#define __force
#define __nocast
#define __safe
#define __private
#define __must_hold(x)
#define __acquires(x)
#define __releases(x)
#define __acquire(x)		(void)0
#define __release(x)		(void)0
#define __cond_lock(x, c)	(c)
#define ACCESS_PRIVATE(p, member) ((p)->member)
#define __builtin_warning(x, y...) (1)

/* Token pasting that expands its arguments first. */
#define ___PASTE(a, b)		a##b
#define __PASTE(a, b)		___PASTE(a, b)

/* A file-unique identifier: __UNIQUE_ID_<prefix><counter>. */
#define __UNIQUE_ID(prefix)	__PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)

/* Functions that must not be instrumented (-pg / -mfentry). */
#define notrace			__attribute__((__no_instrument_function__))

#define __noinitretpoline
#define __latent_entropy
#define __randomize_layout
#define __no_randomize_layout
#define randomized_struct_fields_start	struct {
#define randomized_struct_fields_end	};
#define __no_sanitize_address
#define __no_kcsan
#define __no_sanitize_or_inline		__always_inline
#define noinstr				noinline notrace __section(".noinstr.text")
#define __noinline_for_stack		noinline
#define __naked				__attribute__((__naked__)) notrace

/* "inline" in the kernel means: inline, do not trace, no unused warning. */
#define inline		inline __gnu_inline __attribute__((__unused__)) notrace
#define __inline__	inline
#define __inline	inline

/* Type helpers. */
#define __same_type(a, b)	__builtin_types_compatible_p(typeof(a), typeof(b))

#define __native_word(t) \
	(sizeof(t) == sizeof(char) || sizeof(t) == sizeof(short) || \
	 sizeof(t) == sizeof(int) || sizeof(t) == sizeof(long))

#define __scalar_type_to_expr_cases(type)				\
		unsigned type:	(unsigned type)0,			\
		signed type:	(signed type)0

#define __unqual_scalar_typeof(x) typeof(				\
		_Generic((x),						\
			 char:	(char)0,				\
			 __scalar_type_to_expr_cases(char),		\
			 __scalar_type_to_expr_cases(short),		\
			 __scalar_type_to_expr_cases(int),		\
			 __scalar_type_to_expr_cases(long),		\
			 __scalar_type_to_expr_cases(long long),	\
			 default: (x)))

/* Compile-time assertions that report a message. */
#define __compiletime_assert(condition, msg, prefix, suffix)		\
	do {								\
		extern void prefix ## suffix(void) __compiletime_error(msg); \
		if (!(condition))					\
			prefix ## suffix();				\
	} while (0)

#define _compiletime_assert(condition, msg, prefix, suffix) \
	__compiletime_assert(condition, msg, prefix, suffix)

#define compiletime_assert(condition, msg) \
	_compiletime_assert(condition, msg, __compiletime_assert_, __COUNTER__)

#define compiletime_assert_atomic_type(t)				\
	compiletime_assert(__native_word(t),				\
		"Need native word sized stores/loads for atomicity.")

#define __must_be_array_helper(a) __same_type((a), &(a)[0])

#endif /* !__ASSEMBLY__ */

#endif /* __LINUX_COMPILER_TYPES_H */
