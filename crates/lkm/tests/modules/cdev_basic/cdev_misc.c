// SPDX-License-Identifier: GPL-2.0
/* A misc device with a dynamic minor: /dev/lkm_misc, private_data is the miscdevice. */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/uaccess.h>

static struct miscdevice lkm_misc;

static ssize_t misc_read(struct file *file, char __user *buf, size_t count, loff_t *off)
{
	char line[48];
	struct miscdevice *m = file->private_data;
	int n = snprintf(line, sizeof(line), "misc minor %d self %d\n", m->minor, m == &lkm_misc);

	return simple_read_from_buffer(buf, count, off, line, n);
}

static const struct file_operations misc_fops = {
	.owner = THIS_MODULE,
	.read = misc_read,
	.llseek = noop_llseek,
};

static struct miscdevice lkm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "lkm_misc",
	.fops = &misc_fops,
	.mode = 0444,
};

module_misc_device(lkm_misc);
MODULE_LICENSE("GPL");
