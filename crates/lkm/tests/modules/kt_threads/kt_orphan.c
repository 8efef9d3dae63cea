// A module that forgets to stop its thread: unloading must not free the code the thread runs.
#include <linux/module.h>
#include <linux/kthread.h>

static int lingers(void *data)
{
	int i;

	pr_info("kt_orphan: thread started\n");
	for (i = 0; i < 6; i++)
		schedule_timeout_uninterruptible(50);	/* 6 x 200 ms, ignoring kthread_should_stop */
	pr_info("kt_orphan: thread done\n");
	return 0;
}

static int __init kt_orphan_init(void)
{
	struct task_struct *t = kthread_run(lingers, NULL, "kt_orphan");

	return PTR_ERR_OR_ZERO(t);
}

static void __exit kt_orphan_exit(void)
{
	pr_info("kt_orphan: exit without kthread_stop\n");
}

module_init(kt_orphan_init);
module_exit(kt_orphan_exit);
MODULE_LICENSE("GPL");
