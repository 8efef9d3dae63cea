// SPDX-License-Identifier: GPL-2.0
/*
 * fault_oops: a NULL pointer write in the context the `where` parameter names: "read" (a read of
 * /dev/fault_oops, the reading process's system call), "timer", "tasklet", "work" or "kthread".
 *
 *   lkm insmod fault_oops.ko where=timer
 *   lkm insmod fault_oops.ko && lkm cat /dev/fault_oops
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/timer.h>
#include <linux/interrupt.h>
#include <linux/workqueue.h>
#include <linux/kthread.h>

static char *where = "read";
module_param(where, charp, 0444);
MODULE_PARM_DESC(where, "read, timer, tasklet, work or kthread");

struct fault_oops_state {
	int hits;
};
static struct fault_oops_state *state;	/* never allocated */

static noinline void fault_oops_hit(const char *ctx)
{
	pr_info("fault_oops: writing through a NULL pointer in %s context\n", ctx);
	state->hits++;
}

static ssize_t fault_oops_read(struct file *f, char __user *buf, size_t n, loff_t *off)
{
	fault_oops_hit("read");
	return 0;
}

static const struct file_operations fault_oops_fops = {
	.owner = THIS_MODULE,
	.read = fault_oops_read,
};

static struct miscdevice fault_oops_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "fault_oops",
	.fops = &fault_oops_fops,
};

static void fault_oops_timer(struct timer_list *t) { fault_oops_hit("timer"); }
static void fault_oops_tasklet(struct tasklet_struct *t) { fault_oops_hit("tasklet"); }
static void fault_oops_work(struct work_struct *w) { fault_oops_hit("work"); }
static int fault_oops_thread(void *d) { fault_oops_hit("kthread"); return 0; }

static struct timer_list timer;
static DECLARE_TASKLET(tasklet, fault_oops_tasklet);
static DECLARE_WORK(work, fault_oops_work);

static int __init fault_oops_init(void)
{
	timer_setup(&timer, fault_oops_timer, 0);
	if (!strcmp(where, "timer"))
		mod_timer(&timer, jiffies);
	else if (!strcmp(where, "tasklet"))
		tasklet_schedule(&tasklet);
	else if (!strcmp(where, "work"))
		schedule_work(&work);
	else if (!strcmp(where, "kthread"))
		kthread_run(fault_oops_thread, NULL, "fault_oops");
	return misc_register(&fault_oops_dev);
}

static void __exit fault_oops_exit(void)
{
	misc_deregister(&fault_oops_dev);
	del_timer_sync(&timer);
	tasklet_kill(&tasklet);
	cancel_work_sync(&work);
}

module_init(fault_oops_init);
module_exit(fault_oops_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Oopses in a file operation, a timer, a tasklet, a work item or a kthread");
