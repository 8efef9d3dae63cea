// SPDX-License-Identifier: GPL-2.0
/* fault_tasklet: schedules a disabled tasklet and forgets tasklet_kill() in exit. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/interrupt.h>

static void fault_tasklet_fn(struct tasklet_struct *t)
{
	pr_err("fault_tasklet: the tasklet of an unloaded module ran\n");
}

static DECLARE_TASKLET_DISABLED(fault_tasklet, fault_tasklet_fn);

static int __init fault_tasklet_init(void)
{
	tasklet_schedule(&fault_tasklet);	/* disabled: it waits for tasklet_enable() */
	pr_info("fault_tasklet: tasklet scheduled\n");
	return 0;
}

static void __exit fault_tasklet_exit(void)
{
	/* missing: tasklet_kill(&fault_tasklet); */
}

module_init(fault_tasklet_init);
module_exit(fault_tasklet_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Leaves a tasklet scheduled at unload");
