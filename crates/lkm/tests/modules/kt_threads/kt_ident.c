// Who a kthread is: current, comm, pid, PF_KTHREAD, kthread_data(), the CPU.
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>

static int marker = 1234;
static int reported;

static int ident(void *data)
{
	struct task_struct *me = current;

	pr_info("kt_ident: in thread comm=%s pid=%d kthread=%d data=%d same=%d cpu=%d state=%u\n",
		me->comm, task_pid_nr(me), !!(me->flags & PF_KTHREAD), *(int *)data,
		kthread_data(me) == data, smp_processor_id(), me->__state);
	__atomic_store_n(&reported, 1, __ATOMIC_RELEASE);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init kt_ident_init(void)
{
	struct task_struct *t = kthread_create(ident, &marker, "kt_ident/%d", 3);

	if (IS_ERR(t))
		return PTR_ERR(t);
	pr_info("kt_ident: created pid=%d comm=%s state=%u caller=%s kthread=%d\n", t->pid, t->comm,
		t->__state, current->comm, !!(current->flags & PF_KTHREAD));
	wake_up_process(t);
	/* A stop before the thread got going would end it before its function ran, as on Linux. */
	while (!__atomic_load_n(&reported, __ATOMIC_ACQUIRE))
		schedule_timeout_uninterruptible(1);
	kthread_stop(t);
	return 0;
}

static void __exit kt_ident_exit(void)
{
}

module_init(kt_ident_init);
module_exit(kt_ident_exit);
MODULE_LICENSE("GPL");
