/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: misc devices (major 10).  Written for lkm, Linux 6.12's struct miscdevice.  Opening the
 * node sets file->private_data to the miscdevice before the driver's open runs, as misc_open does.
 */
#ifndef _LINUX_MISCDEVICE_H
#define _LINUX_MISCDEVICE_H

#include <linux/list.h>
#include <linux/types.h>
#include <linux/fs.h>
#include <linux/device.h>
#include <linux/module.h>

#define MISC_MAJOR		10
#define MISC_DYNAMIC_MINOR	255

struct attribute_group;

struct miscdevice {
	int minor;					/* 0: MISC_DYNAMIC_MINOR for a dynamic one */
	const char *name;				/* 8 */
	const struct file_operations *fops;		/* 16 */
	struct list_head list;				/* 24 */
	struct device *parent;				/* 40 */
	struct device *this_device;			/* 48 */
	const struct attribute_group **groups;		/* 56 */
	const char *nodename;				/* 64 */
	umode_t mode;					/* 72 */
};

extern int misc_register(struct miscdevice *misc);
extern void misc_deregister(struct miscdevice *misc);

#define module_misc_device(__misc_device)					\
	static int __init __misc_device##_init(void)				\
	{									\
		return misc_register(&(__misc_device));				\
	}									\
	module_init(__misc_device##_init);					\
	static void __exit __misc_device##_exit(void)				\
	{									\
		misc_deregister(&(__misc_device));				\
	}									\
	module_exit(__misc_device##_exit)

#endif
