// SPDX-License-Identifier: GPL-2.0
/* Leaves a timer and a tasklet pending at unload (no exit cleanup): the kernel must drop them. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/timer.h>
#include <linux/interrupt.h>

static struct timer_list t;

static void late_fn(struct timer_list *tl)
{
	pr_info("time_pending: fired after unload (must not happen)\n");
}

static int __init time_pending_init(void)
{
	timer_setup(&t, late_fn, 0);
	mod_timer(&t, jiffies + HZ / 2);
	pr_info("time_pending: armed\n");
	return 0;
}

static void __exit time_pending_exit(void)
{
}

module_init(time_pending_init);
module_exit(time_pending_exit);
MODULE_LICENSE("GPL");
