// SPDX-License-Identifier: GPL-2.0
/* consumer.c - uses what provider.ko exports (load provider.ko first). */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>

extern int provider_add(int a, int b);
extern int provider_counter;

static int __init consumer_init(void)
{
	int sum = provider_add(2, 3);

	pr_info("provider_add(2, 3) = %d, provider_counter = %d\n", sum, provider_counter);
	return 0;
}

static void __exit consumer_exit(void)
{
	pr_info("bye, provider_counter = %d\n", provider_counter);
}

module_init(consumer_init);
module_exit(consumer_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Calls provider_add() and reads provider_counter");
