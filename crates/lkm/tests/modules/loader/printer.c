// SPDX-License-Identifier: GPL-2.0
/* printk levels, KERN_CONT, pr_fmt and the default level. */
#define pr_fmt(fmt) "printer: " fmt
#include <linux/module.h>
#include <linux/kernel.h>

static int __init printer_init(void)
{
	printk("no level given\n");
	pr_err("an error\n");
	pr_warn("a warning\n");
	pr_notice("a notice\n");
	pr_info("some info\n");
	pr_info("pieces:");
	pr_cont(" one");
	pr_cont(" two");
	pr_cont(" three\n");
	printk(KERN_ALERT "alert without prefix\n");
	return 0;
}

static void __exit printer_exit(void)
{
	pr_info("bye\n");
}

module_init(printer_init);
module_exit(printer_exit);
MODULE_LICENSE("GPL");
