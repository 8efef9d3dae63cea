// SPDX-License-Identifier: GPL-2.0
/* Forgets MODULE_LICENSE. */
#include <linux/module.h>
#include <linux/kernel.h>

static int __init nolicense_init(void)
{
	return 0;
}

module_init(nolicense_init);
