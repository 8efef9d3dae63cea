/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: short names for the GCC attributes used across the kernel headers.
 * Written for lkm; mirrors the names and meanings of Linux 6.12.
 */
#ifndef _LINUX_COMPILER_ATTRIBUTES_H
#define _LINUX_COMPILER_ATTRIBUTES_H

#define __alias(symbol)			__attribute__((__alias__(#symbol)))
#define __aligned(x)			__attribute__((__aligned__(x)))
#define __aligned_largest		__attribute__((__aligned__))
#define __always_inline			inline __attribute__((__always_inline__))
#define __assume_aligned(a, ...)	__attribute__((__assume_aligned__(a, ## __VA_ARGS__)))
#define __cold				__attribute__((__cold__))
#define __hot				__attribute__((__hot__))
#define __attribute_const__		__attribute__((__const__))
#if __has_attribute(__copy__)
#define __copy(symbol)			__attribute__((__copy__(symbol)))
#else
#define __copy(symbol)			/* clang: attributes are not copied */
#endif
#define __designated_init		__attribute__((__designated_init__))
#if __has_attribute(__externally_visible__)
#define __visible			__attribute__((__externally_visible__))
#else
#define __visible			/* clang: symbols stay visible without it */
#endif
#define __flatten			__attribute__((flatten))
#define __gnu_inline			__attribute__((__gnu_inline__))
#define __malloc			__attribute__((__malloc__))
#define __mode(x)			__attribute__((__mode__(x)))
#define __no_caller_saved_registers	__attribute__((__no_caller_saved_registers__))
#define __noclone			__attribute__((__noclone__))
#define __nonstring			__attribute__((__nonstring__))
#define noinline			__attribute__((__noinline__))
#define __noreturn			__attribute__((__noreturn__))
#define __packed			__attribute__((__packed__))
#define __pure				__attribute__((__pure__))
#define __section(section)		__attribute__((__section__(section)))
#define __always_unused			__attribute__((__unused__))
#define __maybe_unused			__attribute__((__unused__))
#define __used				__attribute__((__used__))
#define __must_check			__attribute__((__warn_unused_result__))
#define __weak				__attribute__((__weak__))
#define __printf(a, b)			__attribute__((__format__(printf, a, b)))
#define __scanf(a, b)			__attribute__((__format__(scanf, a, b)))
#define __cleanup(func)			__attribute__((__cleanup__(func)))
#define __counted_by(member)
#define __nonnull(...)			__attribute__((__nonnull__(__VA_ARGS__)))

#if __has_attribute(__fallthrough__)
#define fallthrough			__attribute__((__fallthrough__))
#else
#define fallthrough			do {} while (0)  /* fallthrough */
#endif

#if __has_attribute(__error__)
#define __compiletime_error(msg)	__attribute__((__error__(msg)))
#else
#define __compiletime_error(msg)
#endif

#endif /* _LINUX_COMPILER_ATTRIBUTES_H */
