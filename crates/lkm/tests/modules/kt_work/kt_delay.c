// Delayed work: runs after its delay; cancel_delayed_work_sync keeps another from ever running.
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <linux/jiffies.h>

static unsigned long queued_at;

static void late(struct work_struct *w)
{
	pr_info("kt_delay: delayed work ran in %.7s after %lu jiffies\n", current->comm,
		jiffies - queued_at);
}
static DECLARE_DELAYED_WORK(late_work, late);

static void never(struct work_struct *w)
{
	pr_err("kt_delay: cancelled work ran\n");
}
static struct delayed_work never_work;

static void moved(struct work_struct *w)
{
	pr_info("kt_delay: modded work ran\n");
}
static DECLARE_DELAYED_WORK(moved_work, moved);

static int __init kt_delay_init(void)
{
	bool a, b, c;

	INIT_DELAYED_WORK(&never_work, never);
	pr_info("kt_delay: queueing\n");
	queued_at = jiffies;
	a = schedule_delayed_work(&late_work, 50);
	b = schedule_delayed_work(&late_work, 1);
	pr_info("kt_delay: queued %d %d\n", a, b);
	queue_delayed_work(system_wq, &never_work, 25);
	a = delayed_work_pending(&never_work);
	b = cancel_delayed_work_sync(&never_work);
	c = delayed_work_pending(&never_work);
	pr_info("kt_delay: pending %d, cancel %d, pending %d\n", a, b, c);
	/* mod_delayed_work: the far delay is replaced by a near one. */
	schedule_delayed_work(&moved_work, 250 * 60);
	pr_info("kt_delay: mod %d\n", mod_delayed_work(system_wq, &moved_work, 10));
	return 0;
}

static void __exit kt_delay_exit(void)
{
	cancel_delayed_work_sync(&late_work);
	cancel_delayed_work_sync(&never_work);
	cancel_delayed_work_sync(&moved_work);
}

module_init(kt_delay_init);
module_exit(kt_delay_exit);
MODULE_LICENSE("GPL");
