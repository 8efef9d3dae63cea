// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/kernel.h>

const char *kb_word(void);

static int __init kb_init(void)
{
	pr_info("answer=%d word=%s\n", KB_ANSWER, kb_word());
	return 0;
}

static void __exit kb_exit(void)
{
}

module_init(kb_init);
module_exit(kb_exit);
MODULE_LICENSE("GPL");
