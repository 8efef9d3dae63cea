// SPDX-License-Identifier: GPL-2.0
/* Dereferences NULL in init. */
#include <linux/module.h>
#include <linux/kernel.h>

static int __init oops_null_init(void)
{
	volatile int *p = NULL;

	pr_info("oops_null: reading *NULL\n");
	return *p;
}

static void __exit oops_null_exit(void)
{
}

module_init(oops_null_init);
module_exit(oops_null_exit);
MODULE_LICENSE("GPL");
