/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: character devices.  Written for lkm.  struct cdev is 104 bytes: Linux's fields after a
 * 64-byte area standing for Linux's embedded kobject (not a kobject in the sandbox).
 */
#ifndef _LINUX_CDEV_H
#define _LINUX_CDEV_H

#include <linux/kdev_t.h>
#include <linux/list.h>
#include <linux/fs.h>

struct module;
struct file_operations;
struct device;

struct cdev {
	unsigned long __lkm_kobj[8];		/* 0 */
	struct module *owner;			/* 64: held while a file is open */
	const struct file_operations *ops;	/* 72 */
	struct list_head list;			/* 80 */
	dev_t dev;				/* 96 */
	unsigned int count;			/* 100 */
};

_Static_assert(sizeof(struct cdev) == 104, "struct cdev is 104 bytes");

void cdev_init(struct cdev *, const struct file_operations *);
struct cdev *cdev_alloc(void);
int cdev_add(struct cdev *, dev_t, unsigned);
void cdev_del(struct cdev *);

static inline void cdev_put(struct cdev *p) { (void)p; }
static inline void cdev_set_parent(struct cdev *p, void *kobj) { (void)p; (void)kobj; }

#endif
