// SPDX-License-Identifier: GPL-2.0
/* fault_vmalloc_uaf: reads a vmalloc area after vfree(). */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/vmalloc.h>

static noinline int fault_vmalloc_uaf_sum(const volatile int *v, int n)
{
	int i, sum = 0;

	for (i = 0; i < n; i++)
		sum += v[i];
	return sum;
}

static int __init fault_vmalloc_uaf_init(void)
{
	int *v = vzalloc(4 * 4096);

	if (!v)
		return -ENOMEM;
	v[5] = 5;
	vfree(v);
	pr_info("fault_vmalloc_uaf: sum %d\n", fault_vmalloc_uaf_sum(v, 16));
	return 0;
}

static void __exit fault_vmalloc_uaf_exit(void)
{
}

module_init(fault_vmalloc_uaf_init);
module_exit(fault_vmalloc_uaf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Uses a vmalloc area after vfree");
