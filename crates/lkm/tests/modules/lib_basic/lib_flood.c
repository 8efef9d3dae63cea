// SPDX-License-Identifier: GPL-2.0
/* lib_flood: prints `lines` error lines of 1000 characters at load, all on the console (its log file rotates). */
#include <linux/module.h>
#include <linux/init.h>

static int lines = 100;
module_param(lines, int, 0444);

static int __init lib_flood_init(void)
{
	int i;

	for (i = 0; i < lines; i++)
		pr_err("lib_flood: %06d %0*d\n", i, 980, i);
	return 0;
}

static void __exit lib_flood_exit(void)
{
}

module_init(lib_flood_init);
module_exit(lib_flood_exit);
MODULE_LICENSE("GPL");
