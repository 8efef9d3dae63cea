// SPDX-License-Identifier: GPL-2.0
/* fault_vmalloc_overrun: writes one byte past a vmalloc area, into its guard page. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/vmalloc.h>

static noinline void fault_vmalloc_overrun_fill(volatile char *p, unsigned long size)
{
	unsigned long i;

	for (i = 0; i <= size; i++)	/* <= : one too many */
		p[i] = 'x';
}

static int __init fault_vmalloc_overrun_init(void)
{
	char *p = vmalloc(8192);

	if (!p)
		return -ENOMEM;
	fault_vmalloc_overrun_fill(p, 8192);
	vfree(p);
	return 0;
}

static void __exit fault_vmalloc_overrun_exit(void)
{
}

module_init(fault_vmalloc_overrun_init);
module_exit(fault_vmalloc_overrun_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Overruns a vmalloc area");
