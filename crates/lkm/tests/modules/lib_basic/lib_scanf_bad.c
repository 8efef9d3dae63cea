// SPDX-License-Identifier: GPL-2.0
/* sscanf through a bad pointer: an oops in init, the host unharmed. */
#include <linux/module.h>
#include <linux/kernel.h>

static int __init lib_scanf_bad_init(void)
{
	int a = 0;
	int n = sscanf("1 2", "%d %d", &a, (int *)0x10);
	pr_info("lib_scanf_bad: not reached n=%d\n", n);
	return 0;
}

static void __exit lib_scanf_bad_exit(void)
{
}

module_init(lib_scanf_bad_init);
module_exit(lib_scanf_bad_exit);
MODULE_LICENSE("GPL");
