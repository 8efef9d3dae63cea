/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: compile-time checks.  Written for lkm. */
#ifndef _LINUX_BUILD_BUG_H
#define _LINUX_BUILD_BUG_H

#include <linux/compiler_types.h>

/* Evaluates to 0 (of type size_t... as int) or fails to compile when e is true. */
#define BUILD_BUG_ON_ZERO(e)	((int)(sizeof(struct { int:(-!!(e)); })))

#define BUILD_BUG_ON_MSG(cond, msg)	compiletime_assert(!(cond), msg)
#define BUILD_BUG_ON(condition) \
	BUILD_BUG_ON_MSG(condition, "BUILD_BUG_ON failed: " #condition)
#define BUILD_BUG_ON_NOT_POWER_OF_2(n)	BUILD_BUG_ON((n) == 0 || (((n) & ((n) - 1)) != 0))
#define BUILD_BUG_ON_INVALID(e)		((void)(sizeof((long)(e))))
#define BUILD_BUG()			BUILD_BUG_ON_MSG(1, "BUILD_BUG failed")

/* static_assert(expr) with an optional message, as in C11 plus a default text. */
#define static_assert(expr, ...)	__static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...)	_Static_assert(expr, msg)

#define ASSERT_STRUCT_OFFSET(type, field, expected_offset) \
	static_assert(__builtin_offsetof(type, field) == (expected_offset), \
		"Offset of " #field " in " #type " has changed.")

#endif /* _LINUX_BUILD_BUG_H */
