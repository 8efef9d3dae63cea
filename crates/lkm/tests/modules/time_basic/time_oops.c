// SPDX-License-Identifier: GPL-2.0
/* A timer callback that dereferences NULL, and a later timer that must still run. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/timer.h>

static struct timer_list bad, good;

static void bad_timer_fn(struct timer_list *t)
{
	volatile int *p = NULL;

	pr_info("time_oops: faulting in a timer\n");
	*p = 1;
}

static void good_timer_fn(struct timer_list *t)
{
	pr_info("time_oops: still ticking after the oops\n");
}

static int __init time_oops_init(void)
{
	timer_setup(&bad, bad_timer_fn, 0);
	timer_setup(&good, good_timer_fn, 0);
	mod_timer(&bad, jiffies + 2);
	mod_timer(&good, jiffies + 10);
	return 0;
}

static void __exit time_oops_exit(void)
{
	del_timer_sync(&bad);
	del_timer_sync(&good);
}

module_init(time_oops_init);
module_exit(time_oops_exit);
MODULE_LICENSE("GPL");
