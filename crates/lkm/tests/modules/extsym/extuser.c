// SPDX-License-Identifier: GPL-2.0
/* Uses provider.ko (examples/export), built in another folder. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/kernel.h>

extern int provider_add(int a, int b);

static int __init extuser_init(void)
{
	pr_info("provider_add(40, 2) = %d\n", provider_add(40, 2));
	return 0;
}

static void __exit extuser_exit(void)
{
}

module_init(extuser_init);
module_exit(extuser_exit);
MODULE_LICENSE("GPL");
