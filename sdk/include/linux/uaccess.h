/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: user memory.  Written for lkm.  A user pointer refers to the buffers of the request a
 * driver serves (the sandbox's "user windows", docs/SDK-ABI.md); these copy through the kernel
 * and never fault: an address outside them copies nothing, as a fault in user space would.
 */
#ifndef _LINUX_UACCESS_H
#define _LINUX_UACCESS_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/errno.h>

/* x86-64, 4-level paging. */
#define TASK_SIZE_MAX	((1UL << 47) - 4096)

extern unsigned long _copy_to_user(void __user *to, const void *from, unsigned long n);
extern unsigned long _copy_from_user(void *to, const void __user *from, unsigned long n);
extern int __lkm_get_user(void *to, const void __user *from, unsigned long size);
extern int __lkm_put_user(const void *from, void __user *to, unsigned long size);
extern unsigned long clear_user(void __user *to, unsigned long n);
extern long strncpy_from_user(char *dst, const char __user *src, long count);
extern long strnlen_user(const char __user *str, long n);

/* Returns the number of bytes that could not be copied. */
static __always_inline unsigned long __must_check
copy_to_user(void __user *to, const void *from, unsigned long n)
{
	return _copy_to_user(to, from, n);
}

/* Returns the number of bytes that could not be copied; those are zeroed in the destination. */
static __always_inline unsigned long __must_check
copy_from_user(void *to, const void __user *from, unsigned long n)
{
	return _copy_from_user(to, from, n);
}

#define __copy_to_user(to, from, n)	copy_to_user(to, from, n)
#define __copy_from_user(to, from, n)	copy_from_user(to, from, n)
#define __clear_user(to, n)		clear_user(to, n)

static inline bool __access_ok(const void __user *ptr, unsigned long size)
{
	unsigned long addr = (unsigned long)ptr;
	return size <= TASK_SIZE_MAX && addr <= TASK_SIZE_MAX - size;
}
#define access_ok(addr, size)	likely(__access_ok(addr, size))

/* 0 or -EFAULT; x gets the value (0 on a fault). */
#define get_user(x, ptr)							\
({									\
	unsigned long long __gu_tmp = 0;				\
	int __gu_err = __lkm_get_user(&__gu_tmp, (ptr), sizeof(*(ptr)));	\
	(x) = (__force __typeof__(*(ptr)))__gu_tmp;				\
	__gu_err;								\
})

/* 0 or -EFAULT. */
#define put_user(x, ptr)							\
({									\
	__typeof__(*(ptr)) __pu_val = (x);					\
	__lkm_put_user(&__pu_val, (ptr), sizeof(*(ptr)));			\
})

#define __get_user(x, ptr)	get_user(x, ptr)
#define __put_user(x, ptr)	put_user(x, ptr)

#endif
