// SPDX-License-Identifier: GPL-2.0
/* Divides by zero in exit. */
#include <linux/module.h>
#include <linux/kernel.h>

static volatile int zero;

static int __init oops_div_init(void)
{
	return 0;
}

static void __exit oops_div_exit(void)
{
	volatile int one = 1;

	pr_info("oops_div: %d\n", one / zero);
}

module_init(oops_div_init);
module_exit(oops_div_exit);
MODULE_LICENSE("GPL");
