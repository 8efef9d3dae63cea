// SPDX-License-Identifier: GPL-2.0
/* A proprietary module using add_taint, which is EXPORT_SYMBOL_GPL. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/panic.h>

static int __init gplonly_init(void)
{
	add_taint(9, LOCKDEP_STILL_OK);
	return 0;
}

module_init(gplonly_init);
MODULE_LICENSE("Proprietary");
