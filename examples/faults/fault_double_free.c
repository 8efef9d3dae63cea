// SPDX-License-Identifier: GPL-2.0
/* fault_double_free: kfree()s the same object twice. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>

static noinline void fault_double_free_release(void *p)
{
	kfree(p);
}

static int __init fault_double_free_init(void)
{
	char *p = kmalloc(32, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	fault_double_free_release(p);
	fault_double_free_release(p);	/* the second free is reported and ignored */
	pr_info("fault_double_free: freed twice, still running\n");
	return 0;
}

static void __exit fault_double_free_exit(void)
{
}

module_init(fault_double_free_init);
module_exit(fault_double_free_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Frees an object twice");
