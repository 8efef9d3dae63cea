// SPDX-License-Identifier: GPL-2.0
/* fault_timer: arms a timer ten seconds ahead and forgets del_timer_sync() in exit. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/timer.h>

static struct timer_list fault_timer;

static void fault_timer_fn(struct timer_list *t)
{
	pr_err("fault_timer: the timer of an unloaded module ran\n");
}

static int __init fault_timer_init(void)
{
	timer_setup(&fault_timer, fault_timer_fn, 0);
	mod_timer(&fault_timer, jiffies + 10 * HZ);
	pr_info("fault_timer: timer armed\n");
	return 0;
}

static void __exit fault_timer_exit(void)
{
	/* missing: del_timer_sync(&fault_timer); */
}

module_init(fault_timer_init);
module_exit(fault_timer_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Leaves a timer pending at unload");
