// A work function that faults: an oops in the worker, which goes on with the next item.
#include <linux/module.h>
#include <linux/workqueue.h>

static struct workqueue_struct *wq;

static void faulty(struct work_struct *w)
{
	*(volatile int *)0 = 1;
}
static DECLARE_WORK(bad, faulty);

static void fine(struct work_struct *w)
{
	pr_info("kt_wqoops: next item ran\n");
}
static DECLARE_WORK(good, fine);

static int __init kt_wqoops_init(void)
{
	wq = alloc_ordered_workqueue("kt_wqoops", 0);
	if (!wq)
		return -ENOMEM;
	queue_work(wq, &bad);
	queue_work(wq, &good);
	flush_workqueue(wq);
	return 0;
}

static void __exit kt_wqoops_exit(void)
{
	destroy_workqueue(wq);
}

module_init(kt_wqoops_init);
module_exit(kt_wqoops_exit);
MODULE_LICENSE("GPL");
