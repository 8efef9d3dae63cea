// SPDX-License-Identifier: GPL-2.0
/*
 * fault_uaccess: copy_to_user() and get_user() where there is no user memory: in a kthread and in
 * a timer callback. A driver that keeps a user pointer from an ioctl and writes to it later does
 * this; on Linux the access hits whatever process the CPU runs (or faults quietly).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/timer.h>
#include <linux/jiffies.h>
#include <linux/uaccess.h>

/* A user pointer "saved from an earlier ioctl". */
static void __user *saved_ptr = (void __user *)0x7ffd12345000UL;
static struct timer_list uaccess_timer;

static int fault_uaccess_thread(void *data)
{
	int v = 42;
	unsigned long left = copy_to_user(saved_ptr, &v, sizeof(v));

	pr_info("fault_uaccess: kthread copy_to_user left %lu bytes\n", left);
	return 0;
}

static void fault_uaccess_timer(struct timer_list *t)
{
	int v = 0;
	int ret = get_user(v, (int __user *)saved_ptr);

	pr_info("fault_uaccess: timer get_user returned %d\n", ret);
}

static int __init fault_uaccess_init(void)
{
	struct task_struct *t = kthread_run(fault_uaccess_thread, NULL, "fault_uaccess");

	if (IS_ERR(t))
		return PTR_ERR(t);
	timer_setup(&uaccess_timer, fault_uaccess_timer, 0);
	mod_timer(&uaccess_timer, jiffies + 1);
	return 0;
}

static void __exit fault_uaccess_exit(void)
{
	del_timer_sync(&uaccess_timer);
}

module_init(fault_uaccess_init);
module_exit(fault_uaccess_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("User memory accesses outside a system call");
