// Uses the export of a module that never finished initialising.
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>

MODULE_LICENSE("GPL");

int stuck_helper(int x);

static int __init leaner_init(void)
{
	pr_info("leaner: %d\n", stuck_helper(1));
	return 0;
}

module_init(leaner_init);
