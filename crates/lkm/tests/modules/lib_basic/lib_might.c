// SPDX-License-Identifier: GPL-2.0
/* might_sleep(): silent in process context, a report under a spinlock. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(lock);

static int __init lib_might_init(void)
{
	might_sleep();
	pr_info("lib_might: process context ok\n");
	spin_lock(&lock);
	might_sleep();
	spin_unlock(&lock);
	pr_info("lib_might: after atomic might_sleep\n");
	return 0;
}

static void __exit lib_might_exit(void)
{
}

module_init(lib_might_init);
module_exit(lib_might_exit);
MODULE_LICENSE("GPL");
