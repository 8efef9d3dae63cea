// SPDX-License-Identifier: GPL-2.0
/*
 * acme: the course notes' character driver, as a message device. The driver registers a device
 * number range, a cdev (cdev_init/cdev_add) and a class device (so /dev/acme appears); write()
 * takes the message from user space with copy_from_user(), read() gives it back with
 * copy_to_user().
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>

#define ACME_MAX 4096

static dev_t acme_dev;
static unsigned int acme_count = 1;
static struct cdev acme_cdev;
static struct class *acme_class;

static char acme_buf[ACME_MAX];
static size_t acme_len;
static DEFINE_MUTEX(acme_lock);

static ssize_t acme_read(struct file *file, char __user *buf, size_t count, loff_t *off)
{
	ssize_t ret = 0;

	mutex_lock(&acme_lock);
	if (*off < acme_len) {
		size_t n = min_t(size_t, count, acme_len - *off);

		if (copy_to_user(buf, acme_buf + *off, n)) {
			ret = -EFAULT;
		} else {
			*off += n;
			ret = n;
		}
	}
	mutex_unlock(&acme_lock);
	return ret;
}

static ssize_t acme_write(struct file *file, const char __user *buf, size_t count, loff_t *off)
{
	size_t n = min_t(size_t, count, ACME_MAX);

	mutex_lock(&acme_lock);
	if (copy_from_user(acme_buf, buf, n)) {
		mutex_unlock(&acme_lock);
		return -EFAULT;
	}
	acme_len = n;
	*off += n;
	mutex_unlock(&acme_lock);
	return n;
}

static const struct file_operations acme_fops = {
	.owner = THIS_MODULE,
	.read = acme_read,
	.write = acme_write,
	.llseek = default_llseek,
};

static char *acme_devnode(const struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0666;
	return NULL;
}

static int __init acme_init(void)
{
	int err;
	struct device *d;

	err = alloc_chrdev_region(&acme_dev, 0, acme_count, "acme");
	if (err)
		return err;
	cdev_init(&acme_cdev, &acme_fops);
	err = cdev_add(&acme_cdev, acme_dev, acme_count);
	if (err)
		goto unregister;
	acme_class = class_create("acme");
	if (IS_ERR(acme_class)) {
		err = PTR_ERR(acme_class);
		goto del;
	}
	acme_class->devnode = acme_devnode;
	d = device_create(acme_class, NULL, acme_dev, NULL, "acme");
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
		goto destroy;
	}
	pr_info("acme: registered as %u:%u\n", MAJOR(acme_dev), MINOR(acme_dev));
	return 0;
destroy:
	class_destroy(acme_class);
del:
	cdev_del(&acme_cdev);
unregister:
	unregister_chrdev_region(acme_dev, acme_count);
	return err;
}

static void __exit acme_exit(void)
{
	device_destroy(acme_class, acme_dev);
	class_destroy(acme_class);
	cdev_del(&acme_cdev);
	unregister_chrdev_region(acme_dev, acme_count);
	pr_info("acme: unregistered\n");
}

module_init(acme_init);
module_exit(acme_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("acme message device");
