// SPDX-License-Identifier: GPL-2.0
/* Calls a function nobody exports. */
#include <linux/module.h>
#include <linux/kernel.h>

extern int nosuch_fn(int);

static int __init undef_init(void)
{
	return nosuch_fn(1);
}

module_init(undef_init);
MODULE_LICENSE("GPL");
