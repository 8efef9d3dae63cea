/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: what a character driver sees of the VFS.  Written for lkm.  struct file, struct inode,
 * struct dentry are lkm's layouts with Linux's field names (docs/SDK-ABI.md, "Character devices");
 * struct file_operations has Linux 6.12's members in Linux's order.
 */
#ifndef _LINUX_FS_H
#define _LINUX_FS_H

#include <linux/types.h>
#include <linux/limits.h>
#include <linux/kdev_t.h>
#include <linux/list.h>
#include <linux/err.h>
#include <linux/stat.h>
#include <linux/fcntl.h>
#include <linux/wait.h>
#include <linux/uaccess.h>
#include <linux/sched.h>

struct module;
struct file;
struct inode;
struct dentry;
struct cdev;
struct kiocb;
struct iov_iter;
struct dir_context;
struct poll_table_struct;
struct vm_area_struct;
struct file_lock;
struct file_lease;
struct seq_file;
struct pipe_inode_info;
struct io_uring_cmd;
struct io_comp_batch;
struct vfsmount;

typedef unsigned int __poll_t;
typedef void *fl_owner_t;
typedef unsigned int fop_flags_t;

#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2
#define SEEK_DATA	3
#define SEEK_HOLE	4
#define SEEK_MAX	SEEK_HOLE

#define MAX_LFS_FILESIZE	((loff_t)LLONG_MAX)
#define MAX_NON_LFS		((1UL << 31) - 1)

#define FMODE_READ		((__force fmode_t)(1 << 0))
#define FMODE_WRITE		((__force fmode_t)(1 << 1))
#define FMODE_LSEEK		((__force fmode_t)(1 << 2))
#define FMODE_PREAD		((__force fmode_t)(1 << 3))
#define FMODE_PWRITE		((__force fmode_t)(1 << 4))
#define FMODE_EXEC		((__force fmode_t)(1 << 5))
#define FMODE_ATOMIC_POS	((__force fmode_t)(1 << 15))
#define FMODE_CAN_READ		((__force fmode_t)(1 << 17))
#define FMODE_CAN_WRITE		((__force fmode_t)(1 << 18))
#define FMODE_OPENED		((__force fmode_t)(1 << 19))
#define FMODE_STREAM		((__force fmode_t)(1 << 21))
#define FMODE_NOWAIT		((__force fmode_t)(1 << 27))

struct path {
	struct vfsmount *mnt;			/* 0: NULL in the sandbox */
	struct dentry *dentry;			/* 8 */
};

struct qstr {
	union {
		struct {
			u32 hash;
			u32 len;
		};
		u64 hash_len;
	};
	const unsigned char *name;
};

#define DNAME_INLINE_LEN 32

/* 128 bytes. */
struct dentry {
	unsigned int d_flags;			/* 0 */
	struct dentry *d_parent;		/* 8: NULL */
	struct qstr d_name;			/* 16: the node's name (last component) */
	struct inode *d_inode;			/* 32 */
	unsigned char d_iname[DNAME_INLINE_LEN];/* 40 */
	unsigned long __lkm_reserved[7];	/* 72 */
};

/* 128 bytes; one per /dev node, shared by its open files. */
struct inode {
	umode_t			i_mode;		/* 0: S_IFCHR | permissions */
	unsigned long		i_ino;		/* 8 */
	dev_t			i_rdev;		/* 16 */
	loff_t			i_size;		/* 24: 0 */
	union {					/* 32: set at the first open */
		struct cdev	*i_cdev;
		char		*i_link;
	};
	void			*i_private;	/* 40: the driver's */
	unsigned long		__lkm_reserved[10];	/* 48 */
};

/* 128 bytes, one per open. */
struct file {
	struct path		f_path;		/* 0 */
	struct inode		*f_inode;	/* 16 */
	const struct file_operations *f_op;	/* 24 */
	unsigned int		f_flags;	/* 32: open(2) flags (O_NONBLOCK, O_APPEND, access mode) */
	fmode_t			f_mode;		/* 36: FMODE_* */
	loff_t			f_pos;		/* 40 */
	void			*private_data;	/* 48 */
	unsigned long		__lkm_reserved[9];	/* 56 */
};

_Static_assert(sizeof(struct file) == 128, "struct file is 128 bytes");
_Static_assert(sizeof(struct inode) == 128, "struct inode is 128 bytes");
_Static_assert(sizeof(struct dentry) == 128, "struct dentry is 128 bytes");
_Static_assert(__builtin_offsetof(struct file, private_data) == 48, "file.private_data");
_Static_assert(__builtin_offsetof(struct inode, i_private) == 40, "inode.i_private");

struct file_operations {
	struct module *owner;
	fop_flags_t fop_flags;
	loff_t (*llseek) (struct file *, loff_t, int);
	ssize_t (*read) (struct file *, char __user *, size_t, loff_t *);
	ssize_t (*write) (struct file *, const char __user *, size_t, loff_t *);
	ssize_t (*read_iter) (struct kiocb *, struct iov_iter *);	/* not called */
	ssize_t (*write_iter) (struct kiocb *, struct iov_iter *);	/* not called */
	int (*iopoll)(struct kiocb *kiocb, struct io_comp_batch *, unsigned int flags);
	int (*iterate_shared) (struct file *, struct dir_context *);
	__poll_t (*poll) (struct file *, struct poll_table_struct *);
	long (*unlocked_ioctl) (struct file *, unsigned int, unsigned long);
	long (*compat_ioctl) (struct file *, unsigned int, unsigned long);	/* not called */
	int (*mmap) (struct file *, struct vm_area_struct *);		/* not called */
	int (*open) (struct inode *, struct file *);
	int (*flush) (struct file *, fl_owner_t id);
	int (*release) (struct inode *, struct file *);
	int (*fsync) (struct file *, loff_t, loff_t, int datasync);
	int (*fasync) (int, struct file *, int);
	int (*lock) (struct file *, int, struct file_lock *);
	unsigned long (*get_unmapped_area)(struct file *, unsigned long, unsigned long, unsigned long, unsigned long);
	int (*check_flags)(int);
	int (*flock) (struct file *, int, struct file_lock *);
	ssize_t (*splice_write)(struct pipe_inode_info *, struct file *, loff_t *, size_t, unsigned int);
	ssize_t (*splice_read)(struct file *, loff_t *, struct pipe_inode_info *, size_t, unsigned int);
	void (*splice_eof)(struct file *file);
	int (*setlease)(struct file *, int, struct file_lease **, void **);
	long (*fallocate)(struct file *file, int mode, loff_t offset, loff_t len);
	void (*show_fdinfo)(struct seq_file *m, struct file *f);
	ssize_t (*copy_file_range)(struct file *, loff_t, struct file *, loff_t, size_t, unsigned int);
	loff_t (*remap_file_range)(struct file *file_in, loff_t pos_in, struct file *file_out,
				   loff_t pos_out, loff_t len, unsigned int remap_flags);
	int (*fadvise)(struct file *, loff_t, loff_t, int);
	int (*uring_cmd)(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
	int (*uring_cmd_iopoll)(struct io_uring_cmd *, struct io_comp_batch *, unsigned int poll_flags);
};

_Static_assert(__builtin_offsetof(struct file_operations, llseek) == 16, "fops.llseek");
_Static_assert(__builtin_offsetof(struct file_operations, poll) == 72, "fops.poll");
_Static_assert(__builtin_offsetof(struct file_operations, open) == 104, "fops.open");
_Static_assert(__builtin_offsetof(struct file_operations, release) == 120, "fops.release");

static inline struct inode *file_inode(const struct file *f)
{
	return f->f_inode;
}

static inline struct dentry *file_dentry(const struct file *file)
{
	return file->f_path.dentry;
}

static inline unsigned iminor(const struct inode *inode)
{
	return MINOR(inode->i_rdev);
}

static inline unsigned imajor(const struct inode *inode)
{
	return MAJOR(inode->i_rdev);
}

/* Device numbers (fs/char_dev.c). */
#define CHRDEV_MAJOR_MAX 512
#define CHRDEV_MAJOR_DYN_END 234
#define CHRDEV_MAJOR_DYN_EXT_START 511
#define CHRDEV_MAJOR_DYN_EXT_END 384

extern int alloc_chrdev_region(dev_t *, unsigned, unsigned, const char *);
extern int register_chrdev_region(dev_t, unsigned, const char *);
extern int __register_chrdev(unsigned int major, unsigned int baseminor, unsigned int count,
			     const char *name, const struct file_operations *fops);
extern void __unregister_chrdev(unsigned int major, unsigned int baseminor, unsigned int count,
				const char *name);
extern void unregister_chrdev_region(dev_t, unsigned);

static inline int register_chrdev(unsigned int major, const char *name,
				  const struct file_operations *fops)
{
	return __register_chrdev(major, 0, 256, name, fops);
}

static inline void unregister_chrdev(unsigned int major, const char *name)
{
	__unregister_chrdev(major, 0, 256, name);
}

/* llseek and open helpers (fs/read_write.c, fs/open.c, fs/libfs.c). */
extern loff_t default_llseek(struct file *file, loff_t offset, int whence);
extern loff_t noop_llseek(struct file *file, loff_t offset, int whence);
extern loff_t generic_file_llseek(struct file *file, loff_t offset, int whence);
extern loff_t generic_file_llseek_size(struct file *file, loff_t offset, int whence,
				       loff_t maxsize, loff_t eof);
extern loff_t fixed_size_llseek(struct file *file, loff_t offset, int whence, loff_t size);
extern loff_t no_seek_end_llseek(struct file *file, loff_t offset, int whence);
/* Removed in 6.12 (a NULL llseek means "not seekable"); kept for older drivers. */
#define no_llseek NULL
extern int nonseekable_open(struct inode *inode, struct file *filp);
extern int stream_open(struct inode *inode, struct file *filp);
extern int simple_open(struct inode *inode, struct file *file);
extern ssize_t simple_read_from_buffer(void __user *to, size_t count, loff_t *ppos,
				       const void *from, size_t available);
extern ssize_t simple_write_to_buffer(void *to, size_t available, loff_t *ppos,
				      const void __user *from, size_t count);

/*
 * Files showing one number (fs/libfs.c): simple_attr_open keeps get, set and the format in
 * file->private_data; a read formats get()'s value, a write parses a number for set().
 */
extern int simple_attr_open(struct inode *inode, struct file *file,
			    int (*get)(void *, u64 *), int (*set)(void *, u64),
			    const char *fmt);
extern int simple_attr_release(struct inode *inode, struct file *file);
extern ssize_t simple_attr_read(struct file *file, char __user *buf, size_t len, loff_t *ppos);
extern ssize_t simple_attr_write(struct file *file, const char __user *buf, size_t len,
				 loff_t *ppos);
extern ssize_t simple_attr_write_signed(struct file *file, const char __user *buf, size_t len,
					loff_t *ppos);

/* A compile-time check of the format against a u64 argument; no code. */
static inline __attribute__((format(printf, 1, 2)))
void __simple_attr_check_format(const char *fmt, ...)
{
}

#define DEFINE_SIMPLE_ATTRIBUTE_XSIGNED(__fops, __get, __set, __fmt, __is_signed)	static int __fops ## _open(struct inode *inode, struct file *file)			{												__simple_attr_check_format(__fmt, 0ull);						return simple_attr_open(inode, file, __get, __set, __fmt);			}											static const struct file_operations __fops = {							.owner	 = THIS_MODULE,									.open	 = __fops ## _open,								.release = simple_attr_release,								.read	 = simple_attr_read,								.write	 = (__is_signed) ? simple_attr_write_signed : simple_attr_write,		.llseek	 = generic_file_llseek,							}

#define DEFINE_SIMPLE_ATTRIBUTE(__fops, __get, __set, __fmt)					DEFINE_SIMPLE_ATTRIBUTE_XSIGNED(__fops, __get, __set, __fmt, false)
#define DEFINE_SIMPLE_ATTRIBUTE_SIGNED(__fops, __get, __set, __fmt)				DEFINE_SIMPLE_ATTRIBUTE_XSIGNED(__fops, __get, __set, __fmt, true)

#define fops_get(fops)	(fops)
#define fops_put(fops)	do { } while (0)

#endif
