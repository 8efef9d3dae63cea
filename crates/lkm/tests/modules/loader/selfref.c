// SPDX-License-Identifier: GPL-2.0
/* Takes a reference on itself: refcnt 1, so rmmod refuses. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/errno.h>

static int __init selfref_init(void)
{
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	pr_info("selfref: holding myself\n");
	return 0;
}

static void __exit selfref_exit(void)
{
}

module_init(selfref_init);
module_exit(selfref_exit);
MODULE_LICENSE("GPL");
