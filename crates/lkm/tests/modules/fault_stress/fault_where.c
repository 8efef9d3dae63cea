// SPDX-License-Identifier: GPL-2.0
/*
 * Dereferences NULL in the context named by the `where` parameter: init,
 * exit, timer, tasklet, work, kthread or read (a read of its misc device,
 * /dev/<module name>) (tests/faults_memory.rs, the stress test).  Faults in init and exit pin the module (as on Linux); the others
 * leave it live and removable.  It also allocates and leaks a little memory
 * each time, which its unload reclaims.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/interrupt.h>
#include <linux/workqueue.h>
#include <linux/kthread.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>

static char *where = "timer";
module_param(where, charp, 0444);

static struct timer_list fw_timer;
static struct work_struct fw_work;
static struct task_struct *fw_thread;
static void *fw_leak;

static noinline void fault_where_crash(const char *ctx)
{
	volatile int *p = NULL;

	pr_info("fault_where: faulting in %s\n", ctx);
	*p = 1;
}

static void fault_where_timer(struct timer_list *t)
{
	fault_where_crash("timer");
}

static void fault_where_tasklet_fn(struct tasklet_struct *t)
{
	fault_where_crash("tasklet");
}
static DECLARE_TASKLET(fw_tasklet, fault_where_tasklet_fn);

static void fault_where_work(struct work_struct *w)
{
	fault_where_crash("work");
}

static int fault_where_thread(void *data)
{
	fault_where_crash("kthread");
	return 0;
}

static ssize_t fault_where_read(struct file *file, char __user *buf, size_t count, loff_t *off)
{
	fault_where_crash("read");
	return 0;
}

static const struct file_operations fw_fops = {
	.owner = THIS_MODULE,
	.read = fault_where_read,
};

static struct miscdevice fw_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KBUILD_MODNAME,
	.fops = &fw_fops,
};

static int __init fault_where_init(void)
{
	fw_leak = kmalloc(200, GFP_KERNEL);	/* reclaimed at unload */
	if (!strcmp(where, "init"))
		fault_where_crash("init");
	if (!strcmp(where, "read") && misc_register(&fw_misc))
		return -EBUSY;
	timer_setup(&fw_timer, fault_where_timer, 0);
	INIT_WORK(&fw_work, fault_where_work);
	if (!strcmp(where, "timer"))
		mod_timer(&fw_timer, jiffies);
	else if (!strcmp(where, "tasklet"))
		tasklet_schedule(&fw_tasklet);
	else if (!strcmp(where, "work"))
		schedule_work(&fw_work);
	else if (!strcmp(where, "kthread")) {
		fw_thread = kthread_run(fault_where_thread, NULL, "fault_where");
		if (IS_ERR(fw_thread))
			return PTR_ERR(fw_thread);
	}
	return 0;
}

static void __exit fault_where_exit(void)
{
	if (!strcmp(where, "exit"))
		fault_where_crash("exit");
	del_timer_sync(&fw_timer);
	tasklet_kill(&fw_tasklet);
	cancel_work_sync(&fw_work);
	if (fw_thread)
		kthread_stop(fw_thread);
	if (!strcmp(where, "read"))
		misc_deregister(&fw_misc);
}

module_init(fault_where_init);
module_exit(fault_where_exit);
MODULE_LICENSE("GPL");
