// SPDX-License-Identifier: GPL-2.0
/*
 * fault_oob: writes past the end of two kmalloc objects.  The bytes between
 * the requested size and the size class, and 16 bytes after the class, are a
 * red zone (0xcc) checked at kfree().
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

static noinline void fault_oob_copy(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
}

static noinline void fault_oob_poke(char *p, size_t i)
{
	p[i] = '!';
}

static int __init fault_oob_init(void)
{
	static const char msg[] = "forty bytes are asked for, forty-four are written";
	char *a = kmalloc(40, GFP_KERNEL);	/* size class 64 */
	char *b = kmalloc(64, GFP_KERNEL);	/* size class 64, no slack */

	if (!a || !b) {
		kfree(a);
		kfree(b);
		return -ENOMEM;
	}
	fault_oob_copy(a, msg, 44);		/* 4 bytes past the 40 asked for */
	fault_oob_copy(b, msg, 64);
	fault_oob_poke(b, 64);			/* one byte past the object */
	kfree(a);
	kfree(b);
	pr_info("fault_oob: still running\n");
	return 0;
}

static void __exit fault_oob_exit(void)
{
}

module_init(fault_oob_init);
module_exit(fault_oob_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Writes past the end of kmalloc objects");
