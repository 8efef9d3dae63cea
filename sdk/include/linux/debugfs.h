/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: debugfs (fs/debugfs/), shown at /sys/kernel/debug.  The functions return a real
 * struct dentry (d_inode->i_private is the data given), an ERR_PTR on failure; every creation
 * function accepts an ERR_PTR parent and hands it back, as Linux's do.  Files with
 * file_operations are opened for real, one struct file per open; value files (u8 ... x64,
 * size_t, atomic_t, bool, ulong, str) and blobs are read and written by the sandbox in Linux's
 * formats.  Written for lkm.
 */
#ifndef _LINUX_DEBUGFS_H
#define _LINUX_DEBUGFS_H

#include <linux/types.h>
#include <linux/fs.h>
#include <linux/err.h>
#include <linux/atomic.h>

struct dentry;

/* A blob: `size` bytes at `data`, read as they are. */
struct debugfs_blob_wrapper {
	void *data;
	unsigned long size;
};

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent);
struct dentry *debugfs_create_file(const char *name, umode_t mode, struct dentry *parent,
				   void *data, const struct file_operations *fops);
struct dentry *debugfs_create_file_unsafe(const char *name, umode_t mode,
					  struct dentry *parent, void *data,
					  const struct file_operations *fops);
void debugfs_create_file_size(const char *name, umode_t mode, struct dentry *parent,
			      void *data, const struct file_operations *fops, loff_t file_size);

void debugfs_create_u8(const char *name, umode_t mode, struct dentry *parent, u8 *value);
void debugfs_create_u16(const char *name, umode_t mode, struct dentry *parent, u16 *value);
void debugfs_create_u32(const char *name, umode_t mode, struct dentry *parent, u32 *value);
void debugfs_create_u64(const char *name, umode_t mode, struct dentry *parent, u64 *value);
void debugfs_create_ulong(const char *name, umode_t mode, struct dentry *parent,
			  unsigned long *value);
void debugfs_create_x8(const char *name, umode_t mode, struct dentry *parent, u8 *value);
void debugfs_create_x16(const char *name, umode_t mode, struct dentry *parent, u16 *value);
void debugfs_create_x32(const char *name, umode_t mode, struct dentry *parent, u32 *value);
void debugfs_create_x64(const char *name, umode_t mode, struct dentry *parent, u64 *value);
void debugfs_create_size_t(const char *name, umode_t mode, struct dentry *parent,
			   size_t *value);
void debugfs_create_atomic_t(const char *name, umode_t mode, struct dentry *parent,
			     atomic_t *value);
void debugfs_create_bool(const char *name, umode_t mode, struct dentry *parent, bool *value);
void debugfs_create_str(const char *name, umode_t mode, struct dentry *parent, char **value);
struct dentry *debugfs_create_blob(const char *name, umode_t mode, struct dentry *parent,
				   struct debugfs_blob_wrapper *blob);

void debugfs_remove(struct dentry *dentry);
/* One function since Linux 5.6: removing a directory removes what is under it. */
#define debugfs_remove_recursive debugfs_remove
struct dentry *debugfs_lookup(const char *name, struct dentry *parent);
void debugfs_lookup_and_remove(const char *name, struct dentry *parent);
bool debugfs_initialized(void);

/* A lookup's reference: the sandbox's dentries live until removed, so there is none to drop. */
static inline void dput(struct dentry *dentry)
{
}

ssize_t debugfs_attr_read(struct file *file, char __user *buf, size_t len, loff_t *ppos);
ssize_t debugfs_attr_write(struct file *file, const char __user *buf, size_t len, loff_t *ppos);
ssize_t debugfs_attr_write_signed(struct file *file, const char __user *buf, size_t len,
				  loff_t *ppos);

/*
 * A file showing one number: `get` fills it in, `set` takes a written one (either may be NULL),
 * `fmt` formats it (one u64 conversion).  The debugfs variant of DEFINE_SIMPLE_ATTRIBUTE.
 */
#define DEFINE_DEBUGFS_ATTRIBUTE_XSIGNED(__fops, __get, __set, __fmt, __is_signed)	\
static int __fops ## _open(struct inode *inode, struct file *file)			\
{											\
	__simple_attr_check_format(__fmt, 0ull);					\
	return simple_attr_open(inode, file, __get, __set, __fmt);			\
}											\
static const struct file_operations __fops = {						\
	.owner	 = THIS_MODULE,								\
	.open	 = __fops ## _open,							\
	.release = simple_attr_release,							\
	.read	 = debugfs_attr_read,							\
	.write	 = (__is_signed) ? debugfs_attr_write_signed : debugfs_attr_write,	\
}

#define DEFINE_DEBUGFS_ATTRIBUTE(__fops, __get, __set, __fmt)				\
	DEFINE_DEBUGFS_ATTRIBUTE_XSIGNED(__fops, __get, __set, __fmt, false)
#define DEFINE_DEBUGFS_ATTRIBUTE_SIGNED(__fops, __get, __set, __fmt)			\
	DEFINE_DEBUGFS_ATTRIBUTE_XSIGNED(__fops, __get, __set, __fmt, true)

#endif
