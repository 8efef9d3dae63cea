// SPDX-License-Identifier: GPL-2.0
/*
 * Sleeping where no sleeping is allowed. Timer callbacks and tasklets run in softirq context
 * (in_atomic() is true), and so does code holding a spinlock:
 *  - the timer callback takes a mutex: "BUG: sleeping function called from invalid context";
 *  - the tasklet calls msleep(): "BUG: scheduling while atomic";
 *  - init allocates with GFP_KERNEL under a spinlock: "BUG: sleeping function called from invalid
 *    context" again (use GFP_ATOMIC there).
 * Each is reported, taints the kernel W, and goes on, as in Linux (where it may also deadlock).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/delay.h>
#include <linux/slab.h>

static DEFINE_MUTEX(atomic_mutex);
static DEFINE_SPINLOCK(atomic_lock);
static struct timer_list atomic_timer;
static struct tasklet_struct atomic_tasklet;

static void atomic_timer_fn(struct timer_list *t)
{
	mutex_lock(&atomic_mutex);	/* may sleep: not in a timer */
	mutex_unlock(&atomic_mutex);
}

static void atomic_tasklet_fn(struct tasklet_struct *t)
{
	msleep(1);			/* sleeps: not in a tasklet */
	pr_info("atomic_sleep: the tasklet slept\n");
}

static int __init atomic_sleep_init(void)
{
	void *p;

	timer_setup(&atomic_timer, atomic_timer_fn, 0);
	mod_timer(&atomic_timer, jiffies + 1);
	msleep(1100);			/* the report is rate-limited to once a second */
	del_timer_sync(&atomic_timer);

	tasklet_setup(&atomic_tasklet, atomic_tasklet_fn);
	tasklet_schedule(&atomic_tasklet);
	msleep(100);
	tasklet_kill(&atomic_tasklet);

	spin_lock(&atomic_lock);
	p = kmalloc(128, GFP_KERNEL);	/* GFP_KERNEL may sleep: GFP_ATOMIC here */
	spin_unlock(&atomic_lock);
	kfree(p);
	return 0;
}

static void __exit atomic_sleep_exit(void)
{
}

module_init(atomic_sleep_init);
module_exit(atomic_sleep_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sleeps in a timer, a tasklet and under a spinlock");
