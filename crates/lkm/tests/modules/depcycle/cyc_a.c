// SPDX-License-Identifier: GPL-2.0
/* cyc_a.c - exports cyc_a_fn and calls cyc_b_fn, which cyc_b.ko exports: a dependency cycle. */
#include <linux/module.h>

int cyc_b_fn(int x);

int cyc_a_fn(int x)
{
	return x + 1;
}
EXPORT_SYMBOL(cyc_a_fn);

static int __init cyc_a_init(void)
{
	return cyc_b_fn(0) == 1 ? 0 : -EINVAL;
}

module_init(cyc_a_init);
MODULE_LICENSE("GPL");
