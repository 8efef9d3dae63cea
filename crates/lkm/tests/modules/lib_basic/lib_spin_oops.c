// SPDX-License-Identifier: GPL-2.0
/* An oops while holding a spinlock with interrupts off and inside an RCU read-side section. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/spinlock.h>
#include <linux/rcupdate.h>

static DEFINE_SPINLOCK(lock);
static int *volatile nowhere;

static int __init lib_spin_oops_init(void)
{
	unsigned long flags;
	rcu_read_lock();
	spin_lock_irqsave(&lock, flags);
	pr_info("lib_spin_oops: in_atomic=%d irqs_disabled=%d\n", in_atomic() ? 1 : 0,
		irqs_disabled() ? 1 : 0);
	*nowhere = 1;
	spin_unlock_irqrestore(&lock, flags);
	rcu_read_unlock();
	return 0;
}

static void __exit lib_spin_oops_exit(void)
{
}

module_init(lib_spin_oops_init);
module_exit(lib_spin_oops_exit);
MODULE_LICENSE("GPL");
