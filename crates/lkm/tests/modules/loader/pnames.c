// SPDX-License-Identifier: GPL-2.0
/* Parameter names with underscores (given with '-' or '_' on the command line). */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>

static int max_items = 3;
module_param(max_items, int, 0644);
MODULE_PARM_DESC(max_items, "How many items");

static char *dev_label = "none";
module_param(dev_label, charp, 0444);

static int __init pnames_init(void)
{
	pr_info("pnames: max_items=%d dev_label=%s\n", max_items, dev_label);
	return 0;
}

static void __exit pnames_exit(void)
{
}

module_init(pnames_init);
module_exit(pnames_exit);
MODULE_LICENSE("GPL");
