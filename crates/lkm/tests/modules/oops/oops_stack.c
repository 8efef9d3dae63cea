// SPDX-License-Identifier: GPL-2.0
/* Overflows a stack buffer; the stack protector catches it on return. */
#include <linux/module.h>
#include <linux/kernel.h>

static volatile int len = 24;

static noinline int oops_stack_smash(void)
{
	char buf[8];
	int i;

	for (i = 0; i < len; i++)
		((volatile char *)buf)[i] = 'A';
	return buf[0];
}

static int __init oops_stack_init(void)
{
	return oops_stack_smash() == 'A' ? 0 : -1;
}

static void __exit oops_stack_exit(void)
{
}

module_init(oops_stack_init);
module_exit(oops_stack_exit);
MODULE_LICENSE("GPL");
