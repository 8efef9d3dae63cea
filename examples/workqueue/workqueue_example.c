/*
 * workqueue_example — deferred work, the "bottom half that may sleep": a queue of our own created
 * with create_singlethread_workqueue(), two work items queued on it (statically with DECLARE_WORK
 * and dynamically with INIT_WORK), flush_workqueue() to wait for them, a delayed work item on the
 * system queue, and everything cancelled and destroyed at unload.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/workqueue.h>
#include <linux/delay.h>
#include <linux/sched.h>

static struct workqueue_struct *example_wq;

static void first_handler(struct work_struct *work)
{
	pr_info("workqueue_example: work 1 runs in %s\n", current->comm);
	msleep(50);	/* work items may sleep, unlike tasklets */
}
static DECLARE_WORK(first_work, first_handler);

struct numbered_work {
	struct work_struct work;
	int number;
};
static struct numbered_work second_work;

static void second_handler(struct work_struct *work)
{
	struct numbered_work *nw = container_of(work, struct numbered_work, work);

	pr_info("workqueue_example: work %d runs in %s\n", nw->number, current->comm);
}

static void delayed_handler(struct work_struct *work)
{
	pr_info("workqueue_example: delayed work ran\n");
}
static DECLARE_DELAYED_WORK(later_work, delayed_handler);

static int __init workqueue_example_init(void)
{
	example_wq = create_singlethread_workqueue("example_wq");
	if (!example_wq)
		return -ENOMEM;

	INIT_WORK(&second_work.work, second_handler);
	second_work.number = 2;

	queue_work(example_wq, &first_work);
	queue_work(example_wq, &second_work.work);
	pr_info("workqueue_example: queued the work\n");
	flush_workqueue(example_wq);
	pr_info("workqueue_example: all work done\n");

	schedule_delayed_work(&later_work, msecs_to_jiffies(200));
	return 0;
}

static void __exit workqueue_example_exit(void)
{
	cancel_delayed_work_sync(&later_work);
	destroy_workqueue(example_wq);
	pr_info("workqueue_example: workqueue destroyed\n");
}

module_init(workqueue_example_init);
module_exit(workqueue_example_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Work queues: a private queue, the system queue, delayed work");
MODULE_AUTHOR("lkm examples");
