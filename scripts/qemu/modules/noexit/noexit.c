// SPDX-License-Identifier: GPL-2.0
/*
 * A module with an init function and no exit function: Linux refuses to unload it
 * (delete_module answers EBUSY) unless the removal is forced (rmmod -f with
 * CONFIG_MODULE_FORCE_UNLOAD), which the QEMU test exercises.
 */
#include <linux/init.h>
#include <linux/module.h>

static int __init noexit_init(void)
{
	pr_info("noexit: loaded, cannot be unloaded without force\n");
	return 0;
}
module_init(noexit_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lkm QEMU test: a module without an exit function");
