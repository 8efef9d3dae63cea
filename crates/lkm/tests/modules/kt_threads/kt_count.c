// N kthreads add to one counter with atomic builtins; kthread_stop collects each one's exit value.
#include <linux/module.h>
#include <linux/kthread.h>

#define NTHREADS 4
#define ADDS 100000

static long counter;
static long started;
static struct task_struct *threads[NTHREADS];

static int adder(void *data)
{
	long i, id = (long)data;

	__atomic_fetch_add(&started, 1, __ATOMIC_RELEASE);
	for (i = 0; i < ADDS; i++)
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	/* Wait to be stopped, the kernel's protocol: state first, then the test, then sleep. */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 100 + id;
}

static int __init kt_count_init(void)
{
	long i, sum = 0;

	for (i = 0; i < NTHREADS; i++) {
		threads[i] = kthread_run(adder, (void *)i, "kt_count/%ld", i);
		if (IS_ERR(threads[i]))
			return PTR_ERR(threads[i]);
	}
	/* A thread stopped before it got going never runs its function (as on Linux). */
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < NTHREADS)
		schedule_timeout_uninterruptible(1);
	for (i = 0; i < NTHREADS; i++)
		sum += kthread_stop(threads[i]);
	pr_info("kt_count: total %ld (expected %d), exit values sum %ld\n",
		__atomic_load_n(&counter, __ATOMIC_RELAXED), NTHREADS * ADDS, sum);
	return 0;
}

static void __exit kt_count_exit(void)
{
}

module_init(kt_count_init);
module_exit(kt_count_exit);
MODULE_LICENSE("GPL");
