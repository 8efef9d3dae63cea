// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/sysfs_example: a kobject with a read-write attribute `value`, a read-only `doubled`
 * and a write-only `reset`, in an attribute group.
 */
#include <linux/module.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/kstrtox.h>

static struct kobject *example_kobj;
static int value;

static ssize_t value_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", value);
}

static ssize_t value_store(struct kobject *kobj, struct kobj_attribute *attr, const char *buf,
			   size_t count)
{
	int r = kstrtoint(buf, 10, &value);

	return r ? r : count;
}

static ssize_t doubled_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", value * 2);
}

static ssize_t reset_store(struct kobject *kobj, struct kobj_attribute *attr, const char *buf,
			   size_t count)
{
	value = 0;
	return count;
}

static struct kobj_attribute value_attribute = __ATTR_RW(value);
static struct kobj_attribute doubled_attribute = __ATTR_RO(doubled);
static struct kobj_attribute reset_attribute = __ATTR_WO(reset);

static struct attribute *attrs[] = {
	&value_attribute.attr,
	&doubled_attribute.attr,
	&reset_attribute.attr,
	NULL,
};

static const struct attribute_group attr_group = {
	.attrs = attrs,
};

static int __init sysfs_example_init(void)
{
	int r;

	example_kobj = kobject_create_and_add("sysfs_example", kernel_kobj);
	if (!example_kobj)
		return -ENOMEM;
	r = sysfs_create_group(example_kobj, &attr_group);
	if (r)
		kobject_put(example_kobj);
	return r;
}

static void __exit sysfs_example_exit(void)
{
	kobject_put(example_kobj);
}

module_init(sysfs_example_init);
module_exit(sysfs_example_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A kobject with attributes under /sys/kernel");
