// SPDX-License-Identifier: GPL-2.0
/* fault_bad_free: kfree()s memory kmalloc never returned, and an interior pointer. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>

static char not_from_kmalloc[64];

static int __init fault_bad_free_init(void)
{
	char *p = kmalloc(100, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	kfree(not_from_kmalloc);	/* a static array */
	kfree(p + 16);			/* inside an object */
	kfree(p);			/* the right pointer: freed */
	pr_info("fault_bad_free: still running\n");
	return 0;
}

static void __exit fault_bad_free_exit(void)
{
}

module_init(fault_bad_free_init);
module_exit(fault_bad_free_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Frees pointers the allocator never returned");
