// SPDX-License-Identifier: GPL-2.0
/* Takes the same mutex twice in init: insmod sleeps in D state forever, the hung-task detector
 * reports it. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(wd_lock);

static noinline void wd_hang_deadlock(void)
{
	mutex_lock(&wd_lock);
	mutex_lock(&wd_lock);	/* never returns */
	mutex_unlock(&wd_lock);
	mutex_unlock(&wd_lock);
}

static int __init wd_hang_init(void)
{
	pr_info("wd_hang: locking twice\n");
	wd_hang_deadlock();
	return 0;
}

module_init(wd_hang_init);
MODULE_LICENSE("GPL");
