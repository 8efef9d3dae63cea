// SPDX-License-Identifier: GPL-2.0
/*
 * fault_kthread: starts a thread that runs for a second and creates another
 * that is never woken; exit stops neither.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/kthread.h>

static int fault_kthread_fn(void *data)
{
	int i;

	pr_info("fault_kthread: thread started\n");
	for (i = 0; i < 10 && !kthread_should_stop(); i++)
		msleep(100);
	pr_info("fault_kthread: thread done\n");
	return 0;
}

static int fault_kthread_idle(void *data)
{
	pr_err("fault_kthread: the idle thread of an unloaded module ran\n");
	return 0;
}

static int __init fault_kthread_init(void)
{
	struct task_struct *t = kthread_run(fault_kthread_fn, NULL, "fault-kt");

	if (IS_ERR(t))
		return PTR_ERR(t);
	t = kthread_create(fault_kthread_idle, NULL, "fault-idle");
	if (IS_ERR(t))
		return PTR_ERR(t);
	return 0;
}

static void __exit fault_kthread_exit(void)
{
	/* missing: kthread_stop() of both threads */
}

module_init(fault_kthread_init);
module_exit(fault_kthread_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Leaves kernel threads behind at unload");
