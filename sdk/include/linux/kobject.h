/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: kobjects (lib/kobject.c).  struct kobject has Linux 6.12's layout; the kernel creates
 * them (kobject_create_and_add) and keeps their reference count, mirrored into kref.  The
 * built-in parents kernel_kobj (/sys/kernel), mm_kobj (/sys/kernel/mm), fs_kobj (/sys/fs),
 * firmware_kobj, power_kobj and hypervisor_kobj are exported.  Written for lkm (docs/SDK-ABI.md,
 * "sysfs and kobjects").
 */
#ifndef _KOBJECT_H_
#define _KOBJECT_H_

#include <linux/types.h>
#include <linux/list.h>
#include <linux/sysfs.h>
#include <linux/compiler.h>
#include <linux/refcount.h>

struct kset;
struct kobj_type;
struct kernfs_node;

struct kref {
	refcount_t refcount;
};

struct kobject {
	const char		*name;		/* 0 */
	struct list_head	entry;		/* 8 */
	struct kobject		*parent;	/* 24 */
	struct kset		*kset;		/* 32 */
	const struct kobj_type	*ktype;		/* 40 */
	struct kernfs_node	*sd;		/* 48 */
	struct kref		kref;		/* 56 */
	unsigned int state_initialized:1;	/* 60 */
	unsigned int state_in_sysfs:1;
	unsigned int state_add_uevent_sent:1;
	unsigned int state_remove_uevent_sent:1;
	unsigned int uevent_suppress:1;
};

_Static_assert(sizeof(struct kobject) == 64, "struct kobject is 64 bytes");

static inline const char *kobject_name(const struct kobject *kobj)
{
	return kobj->name;
}

extern struct kobject * __must_check kobject_create_and_add(const char *name,
							    struct kobject *parent);
extern struct kobject *kobject_get(struct kobject *kobj);
extern void kobject_put(struct kobject *kobj);
extern void kobject_del(struct kobject *kobj);

struct kobj_attribute {
	struct attribute attr;						/* 0 */
	ssize_t (*show)(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf);					/* 16 */
	ssize_t (*store)(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count);		/* 24 */
};

extern struct kobject *kernel_kobj;
extern struct kobject *mm_kobj;
extern struct kobject *hypervisor_kobj;
extern struct kobject *power_kobj;
extern struct kobject *firmware_kobj;
extern struct kobject *fs_kobj;

#endif /* _KOBJECT_H_ */
