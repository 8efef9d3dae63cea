// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose init takes the same mutex twice: the second mutex_lock() sleeps in
 * TASK_UNINTERRUPTIBLE forever (state D; not even kill -9 ends insmod). The hung-task detector
 * reports it every hung_task_timeout_secs.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(hang_lock);

static noinline void hang_deadlock(void)
{
	mutex_lock(&hang_lock);
	mutex_lock(&hang_lock);	/* waits for itself */
	mutex_unlock(&hang_lock);
	mutex_unlock(&hang_lock);
}

static int __init hang_init(void)
{
	pr_info("hang: taking hang_lock twice\n");
	hang_deadlock();
	return 0;
}

module_init(hang_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Deadlocks on its own mutex in init: a hung task");
