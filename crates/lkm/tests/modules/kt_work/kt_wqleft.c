// A module that leaves delayed work pending at unload: dropped with a report, never run.
#include <linux/module.h>
#include <linux/workqueue.h>

static void left(struct work_struct *w)
{
	pr_err("kt_wqleft: work of an unloaded module ran\n");
}
static DECLARE_DELAYED_WORK(left_work, left);

static int __init kt_wqleft_init(void)
{
	schedule_delayed_work(&left_work, 50);
	return 0;
}

static void __exit kt_wqleft_exit(void)
{
}

module_init(kt_wqleft_init);
module_exit(kt_wqleft_exit);
MODULE_LICENSE("GPL");
