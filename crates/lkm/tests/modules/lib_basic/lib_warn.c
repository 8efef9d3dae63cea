// SPDX-License-Identifier: GPL-2.0
/* WARN_ON and WARN: the warning report with the function, registers and call trace. */
#include <linux/module.h>
#include <linux/kernel.h>

static noinline int lib_warn_check(int v)
{
	return WARN(v > 3, "lib_warn: value %d too big\n", v);
}

static int __init lib_warn_init(void)
{
	int r = WARN_ON(1);
	pr_info("lib_warn: WARN_ON returned %d\n", r);
	r = lib_warn_check(7);
	pr_info("lib_warn: WARN returned %d\n", r);
	r = WARN_ON(0);
	pr_info("lib_warn: WARN_ON(0) returned %d\n", r);
	return 0;
}

static void __exit lib_warn_exit(void)
{
}

module_init(lib_warn_init);
module_exit(lib_warn_exit);
MODULE_LICENSE("GPL");
