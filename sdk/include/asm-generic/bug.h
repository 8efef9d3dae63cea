/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: BUG() and WARN().  Written for lkm.  Instead of the kernel's
 * __bug_table and ud2 trap, these call into the sandbox kernel, which
 * records an oops/warning report with the file and line.
 */
#ifndef _ASM_GENERIC_BUG_H
#define _ASM_GENERIC_BUG_H

#include <linux/compiler.h>

#ifndef __ASSEMBLY__

/* Oops: ends the current module call (never returns). */
extern void __lkm_bug(const char *file, int line) __attribute__((noreturn)) __cold;
/* Prints "WARNING: file:line" (and the message if fmt is not NULL), taints. */
extern __printf(3, 4) __cold void __lkm_warn(const char *file, int line, const char *fmt, ...);

#define BUG() do {						\
	__lkm_bug(__FILE__, __LINE__);				\
} while (0)

#define BUG_ON(condition) do { if (unlikely(condition)) BUG(); } while (0)

#define __WARN()		__lkm_warn(__FILE__, __LINE__, NULL)
#define __WARN_printf(taint, arg...)	__lkm_warn(__FILE__, __LINE__, arg)

#define WARN_ON(condition) ({					\
	int __ret_warn_on = !!(condition);			\
	if (unlikely(__ret_warn_on))				\
		__WARN();					\
	unlikely(__ret_warn_on);				\
})

#define WARN(condition, format...) ({				\
	int __ret_warn_on = !!(condition);			\
	if (unlikely(__ret_warn_on))				\
		__lkm_warn(__FILE__, __LINE__, format);		\
	unlikely(__ret_warn_on);				\
})

#define WARN_TAINT(condition, taint, format...)	WARN(condition, format)

#define __lkm_warn_once(condition, warn_expr) ({		\
	static bool __section(".data.once") __warned;		\
	int __ret_warn_once = !!(condition);			\
								\
	if (unlikely(__ret_warn_once && !__warned)) {		\
		__warned = true;				\
		warn_expr;					\
	}							\
	unlikely(__ret_warn_once);				\
})

#define WARN_ON_ONCE(condition)	\
	__lkm_warn_once(condition, __WARN())
#define WARN_ONCE(condition, format...)	\
	__lkm_warn_once(condition, __lkm_warn(__FILE__, __LINE__, format))
#define WARN_TAINT_ONCE(condition, taint, format...) WARN_ONCE(condition, format)

#define WARN_ON_SMP(x)	WARN_ON(x)

#endif /* __ASSEMBLY__ */

#endif
