/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: procfs entries made by modules (fs/proc/generic.c).  struct proc_ops has Linux 6.12's
 * members in Linux's order; struct proc_dir_entry is opaque (a handle).  A read or write of
 * /proc/<name> (`lkm cat`, `lkm write`) opens the entry, calls proc_read/proc_write with a user
 * buffer, and releases it, in the reading client's context.  Written for lkm.
 */
#ifndef _LINUX_PROC_FS_H
#define _LINUX_PROC_FS_H

#include <linux/types.h>
#include <linux/fs.h>
#include <linux/uidgid.h>

struct proc_dir_entry;
struct seq_file;
struct seq_operations;
struct poll_table_struct;
struct vm_area_struct;

enum {
	/* The entry is never removed: no rundown is needed (accepted, not acted on). */
	PROC_ENTRY_PERMANENT = 1U << 0,
};

struct proc_ops {
	unsigned int proc_flags;							/* 0 */
	int	(*proc_open)(struct inode *, struct file *);				/* 8 */
	ssize_t	(*proc_read)(struct file *, char __user *, size_t, loff_t *);		/* 16 */
	ssize_t (*proc_read_iter)(struct kiocb *, struct iov_iter *);			/* 24: not called */
	ssize_t	(*proc_write)(struct file *, const char __user *, size_t, loff_t *);	/* 32 */
	loff_t	(*proc_lseek)(struct file *, loff_t, int);				/* 40 */
	int	(*proc_release)(struct inode *, struct file *);				/* 48 */
	__poll_t (*proc_poll)(struct file *, struct poll_table_struct *);		/* 56: not called */
	long	(*proc_ioctl)(struct file *, unsigned int, unsigned long);		/* 64: not called */
	long	(*proc_compat_ioctl)(struct file *, unsigned int, unsigned long);	/* 72: not called */
	int	(*proc_mmap)(struct file *, struct vm_area_struct *);			/* 80: not called */
	unsigned long (*proc_get_unmapped_area)(struct file *, unsigned long, unsigned long, unsigned long, unsigned long);	/* 88 */
};

_Static_assert(__builtin_offsetof(struct proc_ops, proc_write) == 32, "proc_ops.proc_write");
_Static_assert(__builtin_offsetof(struct proc_ops, proc_release) == 48, "proc_ops.proc_release");

typedef int (*proc_write_t)(struct file *, char *, size_t);

extern struct proc_dir_entry *proc_mkdir(const char *, struct proc_dir_entry *);
extern struct proc_dir_entry *proc_mkdir_data(const char *, umode_t, struct proc_dir_entry *, void *);
extern struct proc_dir_entry *proc_mkdir_mode(const char *, umode_t, struct proc_dir_entry *);

extern struct proc_dir_entry *proc_create_data(const char *, umode_t, struct proc_dir_entry *,
					       const struct proc_ops *, void *);
extern struct proc_dir_entry *proc_create(const char *name, umode_t mode,
					  struct proc_dir_entry *parent,
					  const struct proc_ops *proc_ops);

extern struct proc_dir_entry *proc_create_single_data(const char *name, umode_t mode,
		struct proc_dir_entry *parent, int (*show)(struct seq_file *, void *), void *data);
#define proc_create_single(name, mode, parent, show) \
	proc_create_single_data(name, mode, parent, show, NULL)

extern struct proc_dir_entry *proc_create_seq_private(const char *name, umode_t mode,
		struct proc_dir_entry *parent, const struct seq_operations *ops,
		unsigned int state_size, void *data);
#define proc_create_seq_data(name, mode, parent, ops, data) \
	proc_create_seq_private(name, mode, parent, ops, 0, data)
#define proc_create_seq(name, mode, parent, ops) \
	proc_create_seq_private(name, mode, parent, ops, 0, NULL)

extern void proc_set_size(struct proc_dir_entry *, loff_t);
extern void proc_set_user(struct proc_dir_entry *, kuid_t, kgid_t);

/* The data given at creation (also in inode->i_private, as on Linux). */
extern void *pde_data(const struct inode *inode);

extern void proc_remove(struct proc_dir_entry *);
extern void remove_proc_entry(const char *, struct proc_dir_entry *);
extern int remove_proc_subtree(const char *, struct proc_dir_entry *);

#endif /* _LINUX_PROC_FS_H */
