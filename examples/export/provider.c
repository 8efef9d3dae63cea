// SPDX-License-Identifier: GPL-2.0
/* provider.c - exports a function and a GPL-only variable to other modules. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/export.h>
#include <linux/kernel.h>

/* Readable by GPL-compatible modules only. */
int provider_counter = 100;
EXPORT_SYMBOL_GPL(provider_counter);

/* Usable by any module. */
int provider_add(int a, int b)
{
	provider_counter++;
	return a + b + provider_counter;
}
EXPORT_SYMBOL(provider_add);

static int __init provider_init(void)
{
	pr_info("loaded, counter=%d\n", provider_counter);
	return 0;
}

static void __exit provider_exit(void)
{
	pr_info("unloaded, counter=%d\n", provider_counter);
}

module_init(provider_init);
module_exit(provider_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Exports provider_add() and provider_counter");
