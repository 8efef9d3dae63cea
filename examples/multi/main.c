// SPDX-License-Identifier: GPL-2.0
/* main.c - init/exit of the multi-file module "foo". */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include "foo.h"

static int __init foo_init(void)
{
	pr_info("init: foo_square(7) = %d, built from %s and %s\n",
		foo_square(7), KBUILD_BASENAME, foo_helper_basename());
	return 0;
}

static void __exit foo_exit(void)
{
	pr_info("exit: foo_square(12) = %d\n", foo_square(12));
}

module_init(foo_init);
module_exit(foo_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A module linked from two source files");
