// kthread_park() stops the thread at kthread_parkme(); kthread_unpark() lets it go on.
#include <linux/module.h>
#include <linux/kthread.h>

static long rounds;

static int parker(void *data)
{
	while (!kthread_should_stop()) {
		if (kthread_should_park())
			kthread_parkme();
		__atomic_fetch_add(&rounds, 1, __ATOMIC_RELAXED);
		schedule_timeout_interruptible(1);
	}
	return 5;
}

static int __init kt_park_init(void)
{
	struct task_struct *t = kthread_run(parker, NULL, "kt_park");
	long a, b, c;

	if (IS_ERR(t))
		return PTR_ERR(t);
	schedule_timeout_uninterruptible(5);
	pr_info("kt_park: park %d\n", kthread_park(t));
	a = __atomic_load_n(&rounds, __ATOMIC_RELAXED);
	schedule_timeout_uninterruptible(10);
	b = __atomic_load_n(&rounds, __ATOMIC_RELAXED);
	pr_info("kt_park: state while parked %u, ran while parked %d\n", t->__state, a != b);
	kthread_unpark(t);
	schedule_timeout_uninterruptible(10);
	c = __atomic_load_n(&rounds, __ATOMIC_RELAXED);
	pr_info("kt_park: ran after unpark %d, stop %d\n", c != b, kthread_stop(t));
	return 0;
}

static void __exit kt_park_exit(void)
{
}

module_init(kt_park_init);
module_exit(kt_park_exit);
MODULE_LICENSE("GPL");
