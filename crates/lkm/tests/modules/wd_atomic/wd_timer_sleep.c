// SPDX-License-Identifier: GPL-2.0
/* A timer callback (softirq context) takes a mutex: sleeping in atomic context. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/timer.h>
#include <linux/jiffies.h>
#include <linux/delay.h>

static DEFINE_MUTEX(wd_lock);
static struct timer_list wd_timer;
static int wd_ran;

static void wd_timer_fn(struct timer_list *t)
{
	mutex_lock(&wd_lock);
	mutex_unlock(&wd_lock);
	wd_ran = 1;
}

static int __init wd_timer_sleep_init(void)
{
	timer_setup(&wd_timer, wd_timer_fn, 0);
	mod_timer(&wd_timer, jiffies + 1);
	msleep(200);
	del_timer_sync(&wd_timer);
	pr_info("wd_timer_sleep: timer ran=%d\n", wd_ran);
	return 0;
}

static void __exit wd_timer_sleep_exit(void)
{
}

module_init(wd_timer_sleep_init);
module_exit(wd_timer_sleep_exit);
MODULE_LICENSE("GPL");
