// SPDX-License-Identifier: GPL-2.0
/* Registers a region, a cdev, a class device and a misc device, and forgets them all at exit. */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/miscdevice.h>

static dev_t dev;
static struct cdev c;
static struct class *cls;

static ssize_t leaky_read(struct file *file, char __user *buf, size_t count, loff_t *off)
{
	return simple_read_from_buffer(buf, count, off, "leaky\n", 6);
}

static const struct file_operations leaky_fops = {
	.owner = THIS_MODULE,
	.read = leaky_read,
};

static struct miscdevice leaky_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "leaky_misc",
	.fops = &leaky_fops,
};

static int __init leaky_init(void)
{
	int err = alloc_chrdev_region(&dev, 0, 2, "leaky");

	if (err)
		return err;
	cdev_init(&c, &leaky_fops);
	cdev_add(&c, dev, 2);
	cls = class_create("leakycls");
	device_create(cls, NULL, dev, NULL, "leaky%d", 0);
	return misc_register(&leaky_misc);
}

static void __exit leaky_exit(void)
{
}

module_init(leaky_init);
module_exit(leaky_exit);
MODULE_LICENSE("GPL");
