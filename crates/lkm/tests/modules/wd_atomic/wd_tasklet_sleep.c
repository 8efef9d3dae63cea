// SPDX-License-Identifier: GPL-2.0
/* A tasklet (softirq context) sleeps and allocates with GFP_KERNEL: both are reported. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/delay.h>
#include <linux/slab.h>

static struct tasklet_struct wd_tasklet;
static int wd_ran;

static void wd_tasklet_fn(struct tasklet_struct *t)
{
	void *p;

	msleep(1);
	p = kmalloc(64, GFP_KERNEL);
	kfree(p);
	wd_ran = 1;
}

static int __init wd_tasklet_sleep_init(void)
{
	tasklet_setup(&wd_tasklet, wd_tasklet_fn);
	tasklet_schedule(&wd_tasklet);
	msleep(200);
	tasklet_kill(&wd_tasklet);
	pr_info("wd_tasklet_sleep: tasklet ran=%d\n", wd_ran);
	return 0;
}

static void __exit wd_tasklet_sleep_exit(void)
{
	tasklet_kill(&wd_tasklet);
}

module_init(wd_tasklet_sleep_init);
module_exit(wd_tasklet_sleep_exit);
MODULE_LICENSE("GPL");
