// SPDX-License-Identifier: GPL-2.0
/*
 * symbol_put of a name nobody exports (tests/on_demand.rs): Linux BUGs; the sandbox reports it as a
 * warning naming this module and goes on.
 */
#include <linux/module.h>
#include <linux/init.h>

MODULE_LICENSE("GPL");

static int __init req_badput_init(void)
{
	__symbol_put("lkm_no_such_symbol");
	pr_info("req_badput: still here\n");
	return 0;
}

static void __exit req_badput_exit(void)
{
}

module_init(req_badput_init);
module_exit(req_badput_exit);
