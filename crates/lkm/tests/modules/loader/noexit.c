// SPDX-License-Identifier: GPL-2.0
/* init but no exit: the kernel cannot unload it (unless forced). */
#include <linux/module.h>
#include <linux/kernel.h>

static int __init noexit_init(void)
{
	pr_info("noexit: here to stay\n");
	return 0;
}

module_init(noexit_init);
MODULE_LICENSE("GPL");
