// SPDX-License-Identifier: GPL-2.0
/* Sleeps in init: must be process context again after another module oopsed on this thread. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

static DEFINE_MUTEX(m);

static int __init lib_sleeper_init(void)
{
	void *p;
	pr_info("lib_sleeper: in_atomic=%d irqs_disabled=%d rcu=%d\n", in_atomic() ? 1 : 0,
		irqs_disabled() ? 1 : 0, rcu_preempt_depth());
	might_sleep();
	mutex_lock(&m);
	msleep(1);
	mutex_unlock(&m);
	p = kmalloc(32, GFP_KERNEL);
	kfree(p);
	synchronize_rcu();
	pr_info("lib_sleeper: slept\n");
	return 0;
}

static void __exit lib_sleeper_exit(void)
{
}

module_init(lib_sleeper_init);
module_exit(lib_sleeper_exit);
MODULE_LICENSE("GPL");
