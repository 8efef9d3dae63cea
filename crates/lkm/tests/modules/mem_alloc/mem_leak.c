// SPDX-License-Identifier: GPL-2.0
/* Allocates in init and never frees: the kernel reports and reclaims at unload. */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

static void *a, *b, *c;

static int __init mem_leak_init(void)
{
	a = kmalloc(100, GFP_KERNEL);
	b = kzalloc(4000, GFP_KERNEL);
	c = vmalloc(10000);
	return a && b && c ? 0 : -ENOMEM;
}

static void __exit mem_leak_exit(void)
{
}

module_init(mem_leak_init);
module_exit(mem_leak_exit);
MODULE_LICENSE("GPL");
