/*
 * kthread_example — the course notes' kernel thread: kthread_run() at load, a loop on
 * kthread_should_stop() that works and sleeps, kthread_stop() at unload.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/sched.h>

#define THREAD_NAME "example_thread"

static struct task_struct *p_k;

static int p_thread_foo(void *data)
{
	int ticks = 0;

	pr_info("kthread_example: %s running as pid %d\n", current->comm, current->pid);
	while (!kthread_should_stop()) {
		pr_info("kthread_example: tick %d\n", ++ticks);
		msleep(100);
	}
	pr_info("kthread_example: %s stopping after %d ticks\n", current->comm, ticks);
	return 0;
}

static int __init kthread_example_init(void)
{
	p_k = kthread_run(p_thread_foo, NULL, THREAD_NAME);
	if (IS_ERR(p_k)) {
		pr_err("kthread_example: cannot start the thread: %ld\n", PTR_ERR(p_k));
		return PTR_ERR(p_k);
	}
	pr_info("kthread_example: started thread %s\n", p_k->comm);
	return 0;
}

static void __exit kthread_example_exit(void)
{
	int ret = kthread_stop(p_k);

	pr_info("kthread_example: thread stopped, returned %d\n", ret);
}

module_init(kthread_example_init);
module_exit(kthread_example_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A kernel thread started at load and stopped at unload");
MODULE_AUTHOR("lkm examples");
