// SPDX-License-Identifier: GPL-2.0
/*
 * fault_work: leaves work behind at unload.  An ordered queue runs a slow
 * item (still running at unload) with another queued behind it; a delayed
 * item waits ten seconds.  exit neither cancels nor destroys anything.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/workqueue.h>

static struct workqueue_struct *fault_wq;

static void fault_work_slow(struct work_struct *w)
{
	pr_info("fault_work: slow item started\n");
	msleep(500);
	pr_info("fault_work: slow item done\n");
}

static void fault_work_next(struct work_struct *w)
{
	pr_err("fault_work: the queued item of an unloaded module ran\n");
}

static void fault_work_late(struct work_struct *w)
{
	pr_err("fault_work: the delayed item of an unloaded module ran\n");
}

static DECLARE_WORK(slow_work, fault_work_slow);
static DECLARE_WORK(next_work, fault_work_next);
static DECLARE_DELAYED_WORK(late_work, fault_work_late);

static int __init fault_work_init(void)
{
	fault_wq = alloc_ordered_workqueue("fault_wq", 0);
	if (!fault_wq)
		return -ENOMEM;
	queue_work(fault_wq, &slow_work);
	queue_work(fault_wq, &next_work);
	schedule_delayed_work(&late_work, 10 * HZ);
	pr_info("fault_work: work queued\n");
	return 0;
}

static void __exit fault_work_exit(void)
{
	/* missing: cancel_delayed_work_sync(&late_work); destroy_workqueue(fault_wq); */
}

module_init(fault_work_init);
module_exit(fault_work_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Leaves work items queued and running at unload");
