// Exit values: a return, kthread_exit(), kthread_complete_and_exit(NULL, ...), and a thread
// stopped before it ever ran (-EINTR).
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/atomic.h>
#include <linux/delay.h>

/* As on Linux, a thread stopped before its function starts returns -EINTR without running it:
 * init waits until the three woken threads are running before it stops them. */
static atomic_t started = ATOMIC_INIT(0);

static void wait_for_stop(void)
{
	atomic_inc(&started);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

static int returns(void *data)
{
	wait_for_stop();
	return 42;
}

static void deep_exit(long code)
{
	kthread_exit(code);
}

static int exits(void *data)
{
	wait_for_stop();
	deep_exit(7);
	pr_err("kt_exit: kthread_exit returned\n");
	return -1;
}

static int completes(void *data)
{
	wait_for_stop();
	kthread_complete_and_exit(NULL, 9);
}

static int never(void *data)
{
	pr_err("kt_exit: the never-woken thread ran\n");
	return 1;
}

static int __init kt_exit_init(void)
{
	struct task_struct *a = kthread_run(returns, NULL, "kt_ret");
	struct task_struct *b = kthread_run(exits, NULL, "kt_exit");
	struct task_struct *c = kthread_run(completes, NULL, "kt_compl");
	struct task_struct *d = kthread_create(never, NULL, "kt_never");

	if (IS_ERR(a) || IS_ERR(b) || IS_ERR(c) || IS_ERR(d))
		return -ENOMEM;
	while (atomic_read(&started) < 3)
		msleep(1);
	pr_info("kt_exit: returned %d\n", kthread_stop(a));
	pr_info("kt_exit: kthread_exit %d\n", kthread_stop(b));
	pr_info("kt_exit: complete_and_exit %d\n", kthread_stop(c));
	pr_info("kt_exit: never woken %d\n", kthread_stop(d));
	return 0;
}

static void __exit kt_exit_exit(void)
{
}

module_init(kt_exit_init);
module_exit(kt_exit_exit);
MODULE_LICENSE("GPL");
