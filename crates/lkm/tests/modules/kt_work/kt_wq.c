// Work queues: a worker's identity, queueing twice, ordering, flush, cancel, drain and destroy.
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

static struct workqueue_struct *wq;
static long runs_b, order_pos, flushed_done, cancel_done, sys_done;
static int order[4];
static char comm[TASK_COMM_LEN];
static int worker_pid;

static void nap(int jiffies)
{
	schedule_timeout_uninterruptible(jiffies);
}

static void who(struct work_struct *w)
{
	__builtin_memcpy(comm, current->comm, TASK_COMM_LEN);
	worker_pid = current->pid;
	pr_info("kt_wq: work running in %s, current_work ok %d, pending %d\n", current->comm,
		current_work() == w, work_pending(w));
}
static DECLARE_WORK(who_work, who);

static void slow(struct work_struct *w)
{
	nap(25);	/* 100 ms: keeps the ordered queue busy */
}
static DECLARE_WORK(slow_work, slow);

static void count_b(struct work_struct *w)
{
	__atomic_fetch_add(&runs_b, 1, __ATOMIC_RELAXED);
}
static DECLARE_WORK(b_work, count_b);

struct numbered {
	struct work_struct work;
	int n;
};
static struct numbered seq[4];

static void record(struct work_struct *w)
{
	struct numbered *x = container_of(w, struct numbered, work);
	long at = __atomic_fetch_add(&order_pos, 1, __ATOMIC_RELAXED);

	if (x->n == 0)
		nap(5);
	order[at] = x->n;
}

static void slow_flag(struct work_struct *w)
{
	nap(15);
	__atomic_store_n(&flushed_done, 1, __ATOMIC_RELEASE);
}
static DECLARE_WORK(flag_work, slow_flag);

static long cancel_started;

static void slow_cancel(struct work_struct *w)
{
	__atomic_store_n(&cancel_started, 1, __ATOMIC_RELEASE);
	nap(15);
	__atomic_store_n(&cancel_done, 1, __ATOMIC_RELEASE);
}
static DECLARE_WORK(cancel_work_item, slow_cancel);

static void on_system(struct work_struct *w)
{
	pr_info("kt_wq: system_wq work in %.7s\n", current->comm);
	__atomic_store_n(&sys_done, 1, __ATOMIC_RELEASE);
}
static DECLARE_WORK(sys_work, on_system);

static int __init kt_wq_init(void)
{
	struct workqueue_struct *pq;
	bool first, second;
	int i;

	wq = alloc_ordered_workqueue("kt_wq_%s", 0, "ordered");
	if (!wq)
		return -ENOMEM;

	/* Identity. */
	queue_work(wq, &who_work);
	flush_work(&who_work);
	pr_info("kt_wq: worker comm %s (not insmod: %d)\n", comm, worker_pid != current->pid);

	/* Queued twice while pending: runs once. */
	queue_work(wq, &slow_work);
	first = queue_work(wq, &b_work);
	second = queue_work(wq, &b_work);
	pr_info("kt_wq: queue_work %d then %d, pending %d\n", first, second, work_pending(&b_work));
	flush_workqueue(wq);
	pr_info("kt_wq: b ran %ld time(s), pending %d\n", runs_b, work_pending(&b_work));

	/* Ordered: in queue order even when the first sleeps. */
	for (i = 0; i < 4; i++) {
		INIT_WORK(&seq[i].work, record);
		seq[i].n = i;
		queue_work(wq, &seq[i].work);
	}
	flush_workqueue(wq);
	pr_info("kt_wq: order %d %d %d %d\n", order[0], order[1], order[2], order[3]);

	/* flush_workqueue waits for a sleeping item. */
	queue_work(wq, &flag_work);
	flush_workqueue(wq);
	pr_info("kt_wq: after flush_workqueue done=%ld\n", flushed_done);

	/* cancel_work_sync waits for the running instance. */
	pq = alloc_workqueue("kt_wq_par", WQ_UNBOUND, 4);
	queue_work(pq, &cancel_work_item);
	while (!__atomic_load_n(&cancel_started, __ATOMIC_ACQUIRE))
		nap(1);	/* let it start */
	first = cancel_work_sync(&cancel_work_item);
	pr_info("kt_wq: cancel_work_sync %d, done=%ld\n", first,
		__atomic_load_n(&cancel_done, __ATOMIC_ACQUIRE));

	/* destroy_workqueue runs what is queued, then ends the workers. */
	runs_b = 0;
	queue_work(pq, &slow_work);
	queue_work(pq, &b_work);
	destroy_workqueue(pq);
	pr_info("kt_wq: after destroy_workqueue b ran %ld\n", runs_b);

	/* The system queue. */
	schedule_work(&sys_work);
	flush_scheduled_work();
	pr_info("kt_wq: after flush_scheduled_work done=%ld\n", sys_done);
	return 0;
}

static void __exit kt_wq_exit(void)
{
	destroy_workqueue(wq);
	pr_info("kt_wq: destroyed\n");
}

module_init(kt_wq_init);
module_exit(kt_wq_exit);
MODULE_LICENSE("GPL");
