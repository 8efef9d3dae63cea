// SPDX-License-Identifier: GPL-2.0
/* debugfs entries left at unload (tests/debugfs.rs): the sandbox removes them and says so. */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/debugfs.h>
#include <linux/workqueue.h>

MODULE_LICENSE("GPL");

static u32 value = 1;

/* Made by a work item that tail-calls debugfs: no frame of this module is on the worker's stack
 * then; the entry is still known to be this module's (its name and value are in its memory). */
static void make_top(struct work_struct *work)
{
	debugfs_create_u32("dbg_leak_top", 0644, NULL, &value);
}

static DECLARE_WORK(top_work, make_top);

static int __init dbg_leak_init(void)
{
	struct dentry *d = debugfs_create_dir("dbg_leak", NULL);

	debugfs_create_u32("value", 0644, d, &value);
	schedule_work(&top_work);
	flush_work(&top_work);
	return 0;
}

static void __exit dbg_leak_exit(void)
{
}

module_init(dbg_leak_init);
module_exit(dbg_leak_exit);
