// SPDX-License-Identifier: GPL-2.0
/* debugfs entries left at unload (tests/debugfs.rs): the sandbox removes them and says so. */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/debugfs.h>

MODULE_LICENSE("GPL");

static u32 value = 1;

static int __init dbg_leak_init(void)
{
	struct dentry *d = debugfs_create_dir("dbg_leak", NULL);

	debugfs_create_u32("value", 0644, d, &value);
	debugfs_create_u32("dbg_leak_top", 0644, NULL, &value);
	return 0;
}

static void __exit dbg_leak_exit(void)
{
}

module_init(dbg_leak_init);
module_exit(dbg_leak_exit);
