// A kthread that dereferences NULL: an oops in the thread; the sandbox and the module go on.
#include <linux/module.h>
#include <linux/kthread.h>

static struct task_struct *t;

static int faulty(void *data)
{
	pr_info("kt_oops: thread about to fault\n");
	return *(volatile int *)data;
}

static int __init kt_oops_init(void)
{
	t = kthread_run(faulty, NULL, "kt_oops");
	return PTR_ERR_OR_ZERO(t);
}

static void __exit kt_oops_exit(void)
{
	pr_info("kt_oops: stopped the dead thread: %d\n", kthread_stop(t));
}

module_init(kt_oops_init);
module_exit(kt_oops_exit);
MODULE_LICENSE("GPL");
