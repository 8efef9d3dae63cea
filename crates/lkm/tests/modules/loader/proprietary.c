// SPDX-License-Identifier: GPL-2.0
/* A non-GPL license: taints the kernel P. */
#include <linux/module.h>
#include <linux/kernel.h>

static int __init proprietary_init(void)
{
	return 0;
}

static void __exit proprietary_exit(void)
{
}

module_init(proprietary_init);
module_exit(proprietary_exit);
MODULE_LICENSE("Proprietary");
