/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: the grab-bag header most modules include.  Written for lkm; it
 * pulls in the same families of helpers as Linux 6.12's kernel.h.
 */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <linux/stdarg.h>
#include <linux/align.h>
#include <linux/array_size.h>
#include <linux/limits.h>
#include <linux/linkage.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/container_of.h>
#include <linux/bits.h>
#include <linux/kstrtox.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/typecheck.h>
#include <linux/panic.h>
#include <linux/printk.h>
#include <linux/build_bug.h>
#include <linux/sprintf.h>
#include <linux/wordpart.h>
#include <linux/bug.h>
#include <linux/kstrdup.h>

#define STACK_MAGIC	0xdeadbeef

/* Return address of the current function / address of the current instruction. */
#define _RET_IP_	(unsigned long)__builtin_return_address(0)
#define _THIS_IP_	({ __label__ __here; __here: (unsigned long)&&__here; })

#define REPEAT_BYTE(x)	((~0ul / 0xff) * (x))

/* A call that may sleep: in atomic context the kernel reports "BUG: sleeping function called from
 * invalid context at file:line" (CONFIG_DEBUG_ATOMIC_SLEEP). */
extern void __might_sleep(const char *file, int line);
#define might_sleep()		do { __might_sleep(__FILE__, __LINE__); } while (0)
#define might_sleep_if(cond)	do { if (cond) might_sleep(); } while (0)
#define might_fault()		do { } while (0)
#define cond_resched()		({ 0; })
#define sched_annotate_sleep()	do { } while (0)

#define VERIFY_OCTAL_PERMISSIONS(perms)					\
	(BUILD_BUG_ON_ZERO((perms) < 0) +				\
	 BUILD_BUG_ON_ZERO((perms) > 0777) +				\
	 BUILD_BUG_ON_ZERO((((perms) >> 6) & 4) < (((perms) >> 3) & 4)) + \
	 BUILD_BUG_ON_ZERO((((perms) >> 3) & 4) < ((perms) & 4)) +	\
	 BUILD_BUG_ON_ZERO((((perms) >> 6) & 2) < (((perms) >> 3) & 2)) + \
	 BUILD_BUG_ON_ZERO((perms) & 2) +				\
	 (perms))

#endif /* _LINUX_KERNEL_H */
