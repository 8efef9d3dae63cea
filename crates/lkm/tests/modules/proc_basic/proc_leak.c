// SPDX-License-Identifier: GPL-2.0
/* Leaves a /proc directory with a file, a kobject and an attribute on kernel_kobj at unload. */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

static int leak_show(struct seq_file *m, void *v)
{
	seq_puts(m, "leaky\n");
	return 0;
}

static ssize_t stray_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "stray\n");
}

static struct kobj_attribute stray_attr = __ATTR_RO(stray);

static int __init proc_leak_init(void)
{
	struct proc_dir_entry *d = proc_mkdir("proc_leak", NULL);

	if (!d || !proc_create_single("file", 0444, d, leak_show))
		return -ENOMEM;
	if (!kobject_create_and_add("proc_leak", kernel_kobj))
		return -ENOMEM;
	return sysfs_create_file(kernel_kobj, &stray_attr.attr);
}

static void __exit proc_leak_exit(void)
{
}

module_init(proc_leak_init);
module_exit(proc_leak_exit);
MODULE_LICENSE("GPL");
