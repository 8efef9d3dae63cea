// SPDX-License-Identifier: GPL-2.0
/*
 * acme: a message device in the seeds' style (cdev_init/cdev_add, copy_to_user in read,
 * copy_from_user in write), with a class device so /dev/acme appears, an ioctl interface, and
 * a 128 KiB buffer.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/ioctl.h>
#include <linux/poll.h>
#include "acme_ioctl.h"

#define ACME_BUF (128 * 1024)

static dev_t acme_dev;
static struct cdev acme_cdev;
static struct class *acme_class;
static char *msg;
static size_t msg_len;
static DEFINE_MUTEX(acme_lock);
static struct acme_who opener;
static int opens;

static int acme_open(struct inode *inode, struct file *file)
{
	opener.pid = current->pid;
	memcpy(opener.comm, current->comm, sizeof(opener.comm));
	file->private_data = &acme_cdev;
	opens++;
	pr_info("acme: open by %s (pid %d) minor %u flags 0%o\n", current->comm, current->pid,
		iminor(inode), file->f_flags & O_ACCMODE);
	return 0;
}

static int acme_release(struct inode *inode, struct file *file)
{
	pr_info("acme: release (cdev %s)\n", inode->i_cdev == &acme_cdev ? "ok" : "WRONG");
	return 0;
}

static ssize_t acme_read(struct file *file, char __user *buf, size_t count, loff_t *off)
{
	ssize_t n;

	mutex_lock(&acme_lock);
	if (*off >= msg_len) {
		mutex_unlock(&acme_lock);
		return 0;
	}
	n = min_t(size_t, count, msg_len - *off);
	if (copy_to_user(buf, msg + *off, n)) {
		mutex_unlock(&acme_lock);
		return -EFAULT;
	}
	*off += n;
	mutex_unlock(&acme_lock);
	return n;
}

static ssize_t acme_write(struct file *file, const char __user *buf, size_t count, loff_t *off)
{
	size_t n = min_t(size_t, count, ACME_BUF);

	mutex_lock(&acme_lock);
	if (copy_from_user(msg, buf, n)) {
		mutex_unlock(&acme_lock);
		return -EFAULT;
	}
	msg_len = n;
	*off += n;
	mutex_unlock(&acme_lock);
	return n;
}

static long acme_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *p = (void __user *)arg;
	struct acme_req r;
	int v;

	switch (cmd) {
	case ACME_SUM:
		if (copy_from_user(&r, p, sizeof(r)))
			return -EFAULT;
		r.sum = r.a + r.b;
		r.tag[13] = 0;
		{
			char t[20] = { 0 };
			snprintf(t, sizeof(t), "acme:%s", r.tag);
			memcpy(r.tag, t, sizeof(t));
		}
		if (copy_to_user(p, &r, sizeof(r)))
			return -EFAULT;
		return 0;
	case ACME_BAD:
		v = 7;
		if (copy_to_user((char __user *)p + 100, &v, sizeof(v)))
			return -EFAULT;
		return 0;
	case ACME_WHO:
		return copy_to_user(p, &opener, sizeof(opener)) ? -EFAULT : 0;
	case ACME_GETUSER:
		if (get_user(v, (int __user *)p))
			return -EFAULT;
		if (put_user(v * 2, (int __user *)p))
			return -EFAULT;
		return v + 1;
	case ACME_DEREF:
		return *(volatile int *)p;
	case ACME_SIZE:
		return msg_len;
	}
	return -ENOTTY;
}

static __poll_t acme_poll(struct file *file, poll_table *wait)
{
	return msg_len ? (EPOLLIN | EPOLLRDNORM | EPOLLOUT) : EPOLLOUT;
}

static const struct file_operations acme_fops = {
	.owner = THIS_MODULE,
	.open = acme_open,
	.release = acme_release,
	.read = acme_read,
	.write = acme_write,
	.llseek = default_llseek,
	.unlocked_ioctl = acme_ioctl,
	.poll = acme_poll,
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

	msg = vzalloc(ACME_BUF);
	if (!msg)
		return -ENOMEM;
	err = alloc_chrdev_region(&acme_dev, 0, 1, "acme");
	if (err)
		goto free;
	cdev_init(&acme_cdev, &acme_fops);
	acme_cdev.owner = THIS_MODULE;
	err = cdev_add(&acme_cdev, acme_dev, 1);
	if (err)
		goto unreg;
	acme_class = class_create("acme");
	if (IS_ERR(acme_class)) {
		err = PTR_ERR(acme_class);
		goto del;
	}
	acme_class->devnode = acme_devnode;
	d = device_create(acme_class, NULL, acme_dev, NULL, "acme");
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
		goto cls;
	}
	dev_info(d, "major %u minor %u\n", MAJOR(acme_dev), MINOR(acme_dev));
	return 0;
cls:
	class_destroy(acme_class);
del:
	cdev_del(&acme_cdev);
unreg:
	unregister_chrdev_region(acme_dev, 1);
free:
	vfree(msg);
	return err;
}

static void __exit acme_exit(void)
{
	device_destroy(acme_class, acme_dev);
	class_destroy(acme_class);
	cdev_del(&acme_cdev);
	unregister_chrdev_region(acme_dev, 1);
	vfree(msg);
	pr_info("acme: %d open(s)\n", opens);
}

module_init(acme_init);
module_exit(acme_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("acme message device");
