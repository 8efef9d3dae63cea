// SPDX-License-Identifier: GPL-2.0
/* BUG() in init. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/bug.h>

static int __init oops_bug_init(void)
{
	BUG(); /* line 9 */
	return 0;
}

static void __exit oops_bug_exit(void)
{
}

module_init(oops_bug_init);
module_exit(oops_bug_exit);
MODULE_LICENSE("GPL");
