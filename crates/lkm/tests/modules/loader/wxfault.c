// SPDX-License-Identifier: GPL-2.0
/* Writes to its own code, which W^X keeps read-only: a page fault. */
#include <linux/module.h>
#include <linux/kernel.h>

static noinline int wx_victim(int x)
{
	return x + 1;
}

/* Through a volatile pointer, so that gcc keeps wx_victim itself. */
static int (*volatile victim_ptr)(int) = wx_victim;

static int __init wxfault_init(void)
{
	volatile unsigned char *code = (volatile unsigned char *)victim_ptr;

	pr_info("wxfault: victim returns %d\n", victim_ptr(1));
	*code = 0xc3;
	pr_info("wxfault: text was writable\n");
	return 0;
}

static void __exit wxfault_exit(void)
{
}

module_init(wxfault_init);
module_exit(wxfault_exit);
MODULE_LICENSE("GPL");
