// Exports a function, then oopses in init: it stays "coming" forever, as on Linux.
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>

MODULE_LICENSE("GPL");

int stuck_helper(int x)
{
	return x + 1;
}
EXPORT_SYMBOL(stuck_helper);

static int __init stuck_init(void)
{
	BUG();
	return 0;
}

static void __exit stuck_exit(void)
{
}

module_init(stuck_init);
module_exit(stuck_exit);
