/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: the kernel's basic types (x86_64, LP64).  Written for lkm. */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#define __EXPORTED_HEADERS__
#include <uapi/linux/types.h>

#ifndef __ASSEMBLY__

typedef __u8	u8;
typedef __s8	s8;
typedef __u16	u16;
typedef __s16	s16;
typedef __u32	u32;
typedef __s32	s32;
typedef __u64	u64;
typedef __s64	s64;

#define DECLARE_BITMAP(name, bits) \
	unsigned long name[((bits) + 8 * sizeof(long) - 1) / (8 * sizeof(long))]

typedef u32 __kernel_dev_t;

typedef __kernel_dev_t		dev_t;
typedef unsigned long		ino_t;
typedef unsigned short		umode_t;
typedef unsigned int		nlink_t;
typedef long long		loff_t;
typedef int			pid_t;
typedef unsigned int		uid_t;
typedef unsigned int		gid_t;
typedef int			clockid_t;
typedef int			timer_t;
typedef long			time64_t;
typedef long			__kernel_time_t;
typedef long			off_t;
typedef unsigned int		mode_t;
typedef int			key_t;
typedef int			mqd_t;
typedef char			*caddr_t;
typedef int			__kernel_daddr_t;

typedef _Bool			bool;

#ifndef _SIZE_T
#define _SIZE_T
typedef unsigned long		size_t;
#endif
#ifndef _SSIZE_T
#define _SSIZE_T
typedef long			ssize_t;
#endif
#ifndef _PTRDIFF_T
#define _PTRDIFF_T
typedef long			ptrdiff_t;
#endif
typedef unsigned long		uintptr_t;
typedef long			intptr_t;
typedef long			clock_t;
typedef long			time_t;

typedef unsigned char		u_char;
typedef unsigned short		u_short;
typedef unsigned int		u_int;
typedef unsigned long		u_long;
typedef unsigned char		unchar;
typedef unsigned short		ushort;
typedef unsigned int		uint;
typedef unsigned long		ulong;

typedef u8			u_int8_t;
typedef s8			int8_t;
typedef u16			u_int16_t;
typedef s16			int16_t;
typedef u32			u_int32_t;
typedef s32			int32_t;
typedef u8			uint8_t;
typedef u16			uint16_t;
typedef u32			uint32_t;
typedef u64			uint64_t;
typedef u64			u_int64_t;
typedef s64			int64_t;

typedef u64			sector_t;
typedef u64			blkcnt_t;
typedef u64			dma_addr_t;
typedef u64			phys_addr_t;
typedef phys_addr_t		resource_size_t;
typedef unsigned long		irq_hw_number_t;

typedef unsigned int __bitwise	gfp_t;
typedef unsigned int __bitwise	slab_flags_t;
typedef unsigned int __bitwise	fmode_t;

typedef struct {
	int counter;
} atomic_t;

#define ATOMIC_INIT(i) { (i) }

typedef struct {
	s64 counter;
} atomic64_t;

typedef atomic64_t atomic_long_t;

struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

struct ustat {
	__kernel_daddr_t	f_tfree;
	unsigned long		f_tinode;
	char			f_fname[6];
	char			f_fpack[6];
};

struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
} __attribute__((aligned(sizeof(void *))));
#define rcu_head callback_head

typedef void (*rcu_callback_t)(struct rcu_head *head);
typedef void (*swap_func_t)(void *a, void *b, int size);
typedef int (*cmp_r_func_t)(const void *a, const void *b, const void *priv);
typedef int (*cmp_func_t)(const void *a, const void *b);

#endif /* __ASSEMBLY__ */
#endif /* _LINUX_TYPES_H */
