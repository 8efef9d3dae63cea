/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: configuration symbols and the IS_ENABLED() family.  Written for lkm. */
#ifndef __LINUX_KCONFIG_H
#define __LINUX_KCONFIG_H

#include <generated/autoconf.h>

#define __ARG_PLACEHOLDER_1 0,
#define __lkm_take_second_arg(ignored, val, ...) val
#define __take_second_arg(ignored, val, ...) val

/*
 * CONFIG_FOO is either undefined or defined to 1.  Pasting it onto
 * __ARG_PLACEHOLDER_ turns "1" into "0," which shifts a 1 into the second
 * position; anything else leaves the trailing 0 there.
 */
#define __is_defined(x)			___is_defined(x)
#define ___is_defined(val)		____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk)	__lkm_take_second_arg(arg1_or_junk 1, 0)

#define __or(x, y)			___or(x, y)
#define ___or(x, y)			____or(__ARG_PLACEHOLDER_##x, y)
#define ____or(arg1_or_junk, y)		__lkm_take_second_arg(arg1_or_junk 1, y)

#define IS_BUILTIN(option)	__is_defined(option)
#define IS_MODULE(option)	__is_defined(option##_MODULE)
#define IS_REACHABLE(option)	__or(IS_BUILTIN(option), \
				__and(IS_MODULE(option), __is_defined(MODULE)))
#define IS_ENABLED(option)	__or(IS_BUILTIN(option), IS_MODULE(option))

#define __and(x, y)			___and(x, y)
#define ___and(x, y)			____and(__ARG_PLACEHOLDER_##x, y)
#define ____and(arg1_or_junk, y)	__lkm_take_second_arg(arg1_or_junk y, 0)

#endif /* __LINUX_KCONFIG_H */
