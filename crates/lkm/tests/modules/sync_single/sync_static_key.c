// SPDX-License-Identifier: GPL-2.0
/*
 * Static keys (tests/services_sync.rs): the branch each key type takes as its count changes
 * through enable/disable and inc/dec, the old static_key_false/true interface, a key defined in
 * one place and changed through a pointer, and a dec below zero (Linux's WARN).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/jump_label.h>

MODULE_LICENSE("GPL");

static DEFINE_STATIC_KEY_FALSE(off_key);
static DEFINE_STATIC_KEY_TRUE(on_key);
static struct static_key legacy = STATIC_KEY_INIT_FALSE;

static const char *branch(struct static_key_false *k)
{
	if (static_branch_unlikely(k))
		return "slow";
	return "fast";
}

static int __init sync_static_key_init(void)
{
	pr_info("sk: off=%s on=%d legacy=%d\n", branch(&off_key),
		static_branch_likely(&on_key) ? 1 : 0, static_key_false(&legacy));
	static_branch_enable(&off_key);
	static_branch_enable(&off_key);
	pr_info("sk: enabled twice: %s count=%d\n", branch(&off_key),
		static_key_count(&off_key.key));
	static_branch_disable(&off_key);
	pr_info("sk: disabled: %s\n", branch(&off_key));
	static_branch_inc(&off_key);
	static_branch_inc(&off_key);
	static_branch_dec(&off_key);
	pr_info("sk: inc inc dec: %s count=%d\n", branch(&off_key),
		static_key_count(&off_key.key));
	static_branch_dec(&off_key);
	pr_info("sk: dec: %s enabled=%d\n", branch(&off_key), static_key_enabled(&off_key));
	static_branch_disable(&on_key);
	pr_info("sk: on disabled: likely=%d unlikely=%d\n",
		static_branch_likely(&on_key) ? 1 : 0, static_branch_unlikely(&on_key) ? 1 : 0);
	static_key_slow_inc(&legacy);
	pr_info("sk: legacy inc: false=%d true=%d\n", static_key_false(&legacy),
		static_key_true(&legacy));
	/* enable on a count of 2 (inc mixed with enable): a WARN, and the count stays. */
	static_branch_inc(&off_key);
	static_branch_inc(&off_key);
	static_branch_enable(&off_key);
	pr_info("sk: enable on 2: count=%d\n", static_key_count(&off_key.key));
	static_branch_dec(&off_key);
	static_branch_dec(&off_key);
	/* One dec too many: a WARN, and the count stays 0. */
	static_branch_dec(&off_key);
	pr_info("sk: after the extra dec: count=%d\n", static_key_count(&off_key.key));
	return 0;
}

static void __exit sync_static_key_exit(void)
{
}

module_init(sync_static_key_init);
module_exit(sync_static_key_exit);
