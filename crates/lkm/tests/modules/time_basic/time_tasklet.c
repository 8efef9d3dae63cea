// SPDX-License-Identifier: GPL-2.0
/* Tasklets: scheduled twice while disabled, run once when enabled, in softirq context. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/delay.h>
#include <linux/sched.h>

struct holder {
	int tag;
	struct tasklet_struct tl;
};

static struct holder h = { .tag = 7 };
static int runs;
static struct tasklet_struct old;

static void tl_fn(struct tasklet_struct *t)
{
	struct holder *hp = from_tasklet(hp, t, tl);

	runs++;
	pr_info("time_tasklet: run %d tag=%d in_softirq=%d in_interrupt=%d in_task=%d comm=%s\n",
		runs, hp->tag, !!in_softirq(), !!in_interrupt(), !!in_task(), current->comm);
}

static void old_fn(unsigned long data)
{
	pr_info("time_tasklet: old-style data=%lu\n", data);
}

static int __init time_tasklet_init(void)
{
	tasklet_setup(&h.tl, tl_fn);
	tasklet_disable(&h.tl);
	tasklet_schedule(&h.tl);
	tasklet_schedule(&h.tl);
	msleep(20);
	pr_info("time_tasklet: while disabled runs=%d state=%lu\n", runs, h.tl.state);
	tasklet_enable(&h.tl);
	tasklet_kill(&h.tl);
	pr_info("time_tasklet: after kill runs=%d\n", runs);

	tasklet_init(&old, old_fn, 42);
	tasklet_hi_schedule(&old);
	tasklet_kill(&old);
	return 0;
}

static void __exit time_tasklet_exit(void)
{
	tasklet_kill(&h.tl);
	tasklet_kill(&old);
}

module_init(time_tasklet_init);
module_exit(time_tasklet_exit);
MODULE_LICENSE("GPL");
