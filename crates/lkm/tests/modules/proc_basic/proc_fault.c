// SPDX-License-Identifier: GPL-2.0
/* A /proc file and a sysfs attribute whose show dereferences NULL. */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

static struct kobject *kobj;
static int *volatile nowhere;

static int boom_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", *nowhere);
	return 0;
}

static ssize_t boom_attr_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", *nowhere);
}

static ssize_t fine_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "fine\n");
}

static struct kobj_attribute boom_attr = __ATTR(boom, 0444, boom_attr_show, NULL);
static struct kobj_attribute fine_attr = __ATTR_RO(fine);

static int __init proc_fault_init(void)
{
	if (!proc_create_single("proc_fault", 0444, NULL, boom_show))
		return -ENOMEM;
	kobj = kobject_create_and_add("proc_fault", kernel_kobj);
	if (!kobj || sysfs_create_file(kobj, &boom_attr.attr) ||
	    sysfs_create_file(kobj, &fine_attr.attr))
		return -ENOMEM;
	return 0;
}

static void __exit proc_fault_exit(void)
{
	remove_proc_entry("proc_fault", NULL);
	kobject_put(kobj);
}

module_init(proc_fault_init);
module_exit(proc_fault_exit);
MODULE_LICENSE("GPL");
