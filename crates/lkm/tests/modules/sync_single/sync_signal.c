// SPDX-License-Identifier: GPL-2.0
/* init waits interruptibly for a condition nobody makes true: only a signal (the insmod process
 * killed) ends the wait, with -ERESTARTSYS, which init returns. */
#include <linux/module.h>
#include <linux/wait.h>
#include <linux/sched.h>

static DECLARE_WAIT_QUEUE_HEAD(wq);
static int never;

static int __init sync_signal_init(void)
{
	int ret;

	pr_info("sync_signal: waiting\n");
	ret = wait_event_interruptible(wq, never);
	pr_info("sync_signal: wait returned %d, signal_pending=%d\n", ret,
		signal_pending(current) ? 1 : 0);
	return ret;
}

static void __exit sync_signal_exit(void)
{
}

module_init(sync_signal_init);
module_exit(sync_signal_exit);
MODULE_LICENSE("GPL");
