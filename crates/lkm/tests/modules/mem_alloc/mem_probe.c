// SPDX-License-Identifier: GPL-2.0
/* Prints what the module named by target= holds (an lkm extension). */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <lkm/memory.h>

static char *target = "mem_leak";
module_param(target, charp, 0444);

static int __init mem_probe_init(void)
{
	unsigned long count = 0, bytes = 0;
	int err = __lkm_module_memory(target, &count, &bytes);

	if (err)
		pr_info("mem_probe: %s: error %d\n", target, err);
	else
		pr_info("mem_probe: %s holds %lu allocation(s), %lu bytes\n", target, count, bytes);
	return 0;
}

static void __exit mem_probe_exit(void)
{
}

module_init(mem_probe_init);
module_exit(mem_probe_exit);
MODULE_LICENSE("GPL");
