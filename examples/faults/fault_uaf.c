// SPDX-License-Identifier: GPL-2.0
/*
 * fault_uaf: writes to an object after kfree().  Freed objects are poisoned
 * (0x6b) and held back; the write is found when the poison is checked, at the
 * latest when this module is unloaded.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>

struct session {
	int id;
	int refs;
	char user[56];
};

static noinline void fault_uaf_put(struct session *s)
{
	s->refs--;		/* the object was freed already */
}

static int __init fault_uaf_init(void)
{
	struct session *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return -ENOMEM;
	s->refs = 1;
	kfree(s);
	fault_uaf_put(s);
	pr_info("fault_uaf: wrote to a freed object\n");
	return 0;
}

static void __exit fault_uaf_exit(void)
{
}

module_init(fault_uaf_init);
module_exit(fault_uaf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Uses memory after freeing it");
