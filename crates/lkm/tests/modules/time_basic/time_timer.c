// SPDX-License-Identifier: GPL-2.0
/* Timers: one firing on time, one re-armed with mod_timer, one deleted before it fires, a static one. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/timer.h>
#include <linux/sched.h>
#include <linux/interrupt.h>

struct probe {
	struct timer_list timer;
	unsigned long deadline;
};

static struct probe a;
static struct timer_list b, c;

static void a_fn(struct timer_list *t)
{
	struct probe *p = from_timer(p, t, timer);

	pr_info("time_timer: a fired late=%ld in_interrupt=%d in_softirq=%d in_task=%d in_atomic=%d pending=%d comm=%s\n",
		(long)(jiffies - p->deadline), !!in_interrupt(), !!in_softirq(), !!in_task(),
		!!in_atomic(), timer_pending(t), current->comm);
}

static void b_fn(struct timer_list *t)
{
	pr_info("time_timer: b fired (re-armed)\n");
}

static void c_fn(struct timer_list *t)
{
	pr_info("time_timer: c fired (deleted: must not happen)\n");
}

static void d_fn(struct timer_list *t);
static DEFINE_TIMER(d, d_fn);
static int d_runs;

static void d_fn(struct timer_list *t)
{
	if (++d_runs < 3)
		mod_timer(t, jiffies + 1);
	else
		pr_info("time_timer: d ran %d times\n", d_runs);
}

static int __init time_timer_init(void)
{
	int r;

	pr_info("time_timer: init in_interrupt=%d in_task=%d\n", !!in_interrupt(), !!in_task());
	timer_setup(&a.timer, a_fn, 0);
	a.deadline = jiffies + 10;
	a.timer.expires = a.deadline;
	add_timer(&a.timer);
	pr_info("time_timer: a pending=%d\n", timer_pending(&a.timer));

	timer_setup(&b, b_fn, 0);
	r = mod_timer(&b, jiffies + 10000);
	pr_info("time_timer: b mod_timer=%d\n", r);
	r = mod_timer(&b, jiffies + 5);
	pr_info("time_timer: b mod_timer again=%d\n", r);

	timer_setup(&c, c_fn, 0);
	mod_timer(&c, jiffies + 20);
	r = del_timer_sync(&c);
	pr_info("time_timer: c del_timer_sync=%d pending=%d\n", r, timer_pending(&c));
	r = del_timer(&c);
	pr_info("time_timer: c del_timer again=%d\n", r);

	mod_timer(&d, jiffies + 1);
	return 0;
}

static void __exit time_timer_exit(void)
{
	timer_delete_sync(&a.timer);
	timer_delete_sync(&b);
	timer_delete_sync(&c);
	timer_delete_sync(&d);
	pr_info("time_timer: exit\n");
}

module_init(time_timer_init);
module_exit(time_timer_exit);
MODULE_LICENSE("GPL");
