// SPDX-License-Identifier: GPL-2.0
/* cyc_b.c - exports cyc_b_fn and calls cyc_a_fn, which cyc_a.ko exports: a dependency cycle. */
#include <linux/module.h>

int cyc_a_fn(int x);

int cyc_b_fn(int x)
{
	return x + 1;
}
EXPORT_SYMBOL(cyc_b_fn);

static int __init cyc_b_init(void)
{
	return cyc_a_fn(0) == 1 ? 0 : -EINVAL;
}

module_init(cyc_b_init);
MODULE_LICENSE("GPL");
