// SPDX-License-Identifier: GPL-2.0
/*
 * fault_leak: allocates from three sites in init and frees nothing in exit.
 * At rmmod the sandbox kernel reports each leak in kmemleak's shape (one
 * object per allocation site, with a count) and reclaims the memory.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

static char *name;
static void *table[4];
static void *big;

static noinline void fault_leak_fill_table(void)
{
	int i;

	for (i = 0; i < 4; i++)
		table[i] = kzalloc(64, GFP_KERNEL);
}

static int __init fault_leak_init(void)
{
	name = kstrdup("forgotten in exit", GFP_KERNEL);
	fault_leak_fill_table();
	big = vmalloc(10000);
	if (big)
		memset(big, 0x42, 10000);
	pr_info("fault_leak: allocated 6 objects, exit frees none\n");
	return 0;
}

static void __exit fault_leak_exit(void)
{
	pr_info("fault_leak: exit\n");
}

module_init(fault_leak_init);
module_exit(fault_leak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Leaks memory at unload");
