// SPDX-License-Identifier: GPL-2.0
/* Writes one byte past a 1 MiB vmalloc area: the guard page makes it an oops. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/vmalloc.h>

static noinline void mem_vmoops_overrun(volatile char *p, unsigned long size)
{
	unsigned long i;

	for (i = 0; i < size; i += 512)
		p[i] = 'x';
	pr_info("mem_vmoops: wrote %lu bytes, now one more\n", size);
	p[size] = 'x';
}

static int __init mem_vmoops_init(void)
{
	char *p = vmalloc(1 << 20);

	if (!p)
		return -ENOMEM;
	mem_vmoops_overrun(p, 1 << 20);
	vfree(p);
	return 0;
}

static void __exit mem_vmoops_exit(void)
{
}

module_init(mem_vmoops_init);
module_exit(mem_vmoops_exit);
MODULE_LICENSE("GPL");
