// SPDX-License-Identifier: GPL-2.0
/*
 * register_chrdev() with a dynamic major and no node: the user makes it with mknod. Also the old
 * two-argument class_create() and a device that is created and destroyed at once. The device
 * reads as "legacy <minor>\n", is not seekable, and counts bytes written.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/device.h>
#include <linux/uaccess.h>
#include <linux/kdev_t.h>

static int major;
static struct class *cls;
static size_t written;

static int legacy_open(struct inode *inode, struct file *file)
{
	return nonseekable_open(inode, file);
}

static ssize_t legacy_read(struct file *file, char __user *buf, size_t count, loff_t *off)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "legacy %u nb=%d\n", iminor(file_inode(file)),
			 !!(file->f_flags & O_NONBLOCK));

	return simple_read_from_buffer(buf, count, off, line, n);
}

static ssize_t legacy_write(struct file *file, const char __user *buf, size_t count, loff_t *off)
{
	written += count;
	return count;
}

static const struct file_operations legacy_fops = {
	.owner = THIS_MODULE,
	.open = legacy_open,
	.read = legacy_read,
	.write = legacy_write,
};

static int __init legacy_init(void)
{
	struct device *d;

	major = register_chrdev(0, "legacy", &legacy_fops);
	if (major < 0)
		return major;
	pr_info("legacy: major %d\n", major);
	cls = class_create(THIS_MODULE, "legacycls");
	if (IS_ERR(cls)) {
		unregister_chrdev(major, "legacy");
		return PTR_ERR(cls);
	}
	d = device_create(cls, NULL, MKDEV(major, 7), NULL, "legacy%d", 7);
	pr_info("legacy: device %s created\n", IS_ERR(d) ? "not" : dev_name(d));
	return 0;
}

static void __exit legacy_exit(void)
{
	device_destroy(cls, MKDEV(major, 7));
	class_destroy(cls);
	unregister_chrdev(major, "legacy");
	pr_info("legacy: %zu bytes written\n", written);
}

module_init(legacy_init);
module_exit(legacy_exit);
MODULE_LICENSE("GPL");
