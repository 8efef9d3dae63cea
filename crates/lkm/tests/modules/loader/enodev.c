// SPDX-License-Identifier: GPL-2.0
/* init fails: no such device. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/errno.h>

static int __init enodev_init(void)
{
	pr_info("enodev: probing, finding nothing\n");
	return -ENODEV;
}

static void __exit enodev_exit(void)
{
}

module_init(enodev_init);
module_exit(enodev_exit);
MODULE_LICENSE("GPL");
