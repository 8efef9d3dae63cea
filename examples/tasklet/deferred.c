// SPDX-License-Identifier: GPL-2.0
/*
 * deferred: work handed from process context to a tasklet.  init queues a
 * few values and schedules the tasklet three times in a row; the tasklet
 * runs once (scheduling an already scheduled tasklet does nothing), in
 * softirq context, and drains everything queued so far.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/sched.h>

#define SLOTS 8

struct deferred {
	struct tasklet_struct tasklet;
	int values[SLOTS];
	int queued;
	int runs;
};

static struct deferred dfr;

static void deferred_fn(struct tasklet_struct *t)
{
	struct deferred *d = from_tasklet(d, t, tasklet);
	int i, sum = 0;

	d->runs++;
	for (i = 0; i < d->queued; i++)
		sum += d->values[i];
	pr_info("deferred: run %d on %s: %d values, sum %d, in_softirq=%d\n", d->runs,
		current->comm, d->queued, sum, !!in_softirq());
	d->queued = 0;
}

static int __init deferred_init(void)
{
	int i;

	tasklet_setup(&dfr.tasklet, deferred_fn);
	/* Hold it back while filling the queue, as a driver would around its ring. */
	tasklet_disable(&dfr.tasklet);
	for (i = 0; i < 3; i++) {
		dfr.values[dfr.queued++] = 10 * (i + 1);
		tasklet_schedule(&dfr.tasklet);
	}
	tasklet_enable(&dfr.tasklet);
	pr_info("deferred: scheduled 3 times\n");
	return 0;
}

static void __exit deferred_exit(void)
{
	/* Waits until a scheduled run has happened and a running one has finished. */
	tasklet_kill(&dfr.tasklet);
	pr_info("deferred: %d run(s)\n", dfr.runs);
}

module_init(deferred_init);
module_exit(deferred_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Deferring work to a tasklet");
MODULE_AUTHOR("lkm");
