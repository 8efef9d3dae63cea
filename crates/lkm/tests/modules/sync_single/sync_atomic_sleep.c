// SPDX-License-Identifier: GPL-2.0
/* Sleeping in atomic context: a mutex taken under a spinlock.  The kernel reports it and goes on. */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(lock);
static DEFINE_MUTEX(mutex);

static int __init sync_atomic_sleep_init(void)
{
	spin_lock(&lock);
	mutex_lock(&mutex);
	mutex_unlock(&mutex);
	spin_unlock(&lock);
	pr_info("sync_atomic_sleep: still running, in_atomic=%d\n", in_atomic() ? 1 : 0);
	return 0;
}

static void __exit sync_atomic_sleep_exit(void)
{
}

module_init(sync_atomic_sleep_init);
module_exit(sync_atomic_sleep_exit);
MODULE_LICENSE("GPL");
