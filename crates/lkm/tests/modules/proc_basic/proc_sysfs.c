// SPDX-License-Identifier: GPL-2.0
/* sysfs: a kobject under kernel_kobj with read-write, read-only and write-only attributes and a
 * named group; a second kobject removed at its last kobject_put. */
#include <linux/module.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/kstrtox.h>
#include <linux/string.h>

static struct kobject *kobj, *tmp;
static int value = 7;
static char note[32] = "none";
static int pokes;

static ssize_t value_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", value);
}

static ssize_t value_store(struct kobject *k, struct kobj_attribute *a, const char *buf,
			   size_t count)
{
	int v, r = kstrtoint(buf, 10, &v);

	if (r)
		return r;
	value = v;
	return count;
}

static ssize_t info_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	int n = sysfs_emit(buf, "kobject %s\n", kobject_name(k));

	n += sysfs_emit_at(buf, n, "attr %s\n", a->attr.name);
	n += sysfs_emit_at(buf, n, "pokes %d\n", pokes);
	return n;
}

static ssize_t poke_store(struct kobject *k, struct kobj_attribute *a, const char *buf,
			  size_t count)
{
	pokes++;
	strscpy(note, buf, sizeof(note));
	return count;
}

static ssize_t inner_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "inner note=%s", note);
}

static struct kobj_attribute value_attr = __ATTR_RW(value);
static struct kobj_attribute info_attr = __ATTR_RO(info);
static struct kobj_attribute poke_attr = __ATTR_WO(poke);
static struct kobj_attribute inner_attr = __ATTR(inner, 0444, inner_show, NULL);
static struct kobj_attribute hidden_attr = __ATTR(hidden, 0444, inner_show, NULL);
static struct kobj_attribute tmp_attr = __ATTR(t, 0444, inner_show, NULL);

static struct attribute *grp_attrs[] = { &inner_attr.attr, &hidden_attr.attr, NULL };

static umode_t grp_visible(struct kobject *k, struct attribute *a, int n)
{
	return n == 1 ? 0 : a->mode;
}

static const struct attribute_group grp = {
	.name = "grp",
	.attrs = grp_attrs,
	.is_visible = grp_visible,
};

static int __init proc_sysfs_init(void)
{
	int r;

	kobj = kobject_create_and_add("proc_sysfs", kernel_kobj);
	if (!kobj)
		return -ENOMEM;
	r = sysfs_create_file(kobj, &value_attr.attr);
	r = r ?: sysfs_create_file(kobj, &info_attr.attr);
	r = r ?: sysfs_create_file(kobj, &poke_attr.attr);
	r = r ?: sysfs_create_group(kobj, &grp);
	if (r) {
		kobject_put(kobj);
		return r;
	}
	pr_info("proc_sysfs: duplicate file %d\n", sysfs_create_file(kobj, &value_attr.attr));
	tmp = kobject_create_and_add("proc_sysfs_tmp", kernel_kobj);
	if (!tmp || sysfs_create_file(tmp, &tmp_attr.attr))
		return -ENOMEM;
	kobject_get(tmp);
	kobject_put(tmp);
	pr_info("proc_sysfs: tmp still there after get+put\n");
	return 0;
}

static void __exit proc_sysfs_exit(void)
{
	sysfs_remove_group(kobj, &grp);
	kobject_put(kobj);
}

/* Drops the temporary kobject when its parameter is written. */
static int drop_set(const char *val, const struct kernel_param *kp)
{
	if (tmp) {
		kobject_put(tmp);
		tmp = NULL;
	}
	return 0;
}

static const struct kernel_param_ops drop_ops = { .set = drop_set };
module_param_cb(drop, &drop_ops, NULL, 0200);

module_init(proc_sysfs_init);
module_exit(proc_sysfs_exit);
MODULE_LICENSE("GPL");
