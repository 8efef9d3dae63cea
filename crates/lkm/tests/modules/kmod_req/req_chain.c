// SPDX-License-Identifier: GPL-2.0
/* req_chain: links against req_provider's export, so depmod records the dependency and modprobe
 * loads req_provider first. */
#include <linux/module.h>
#include <linux/init.h>

extern int req_provider_plain(void);

static int __init req_chain_init(void)
{
	pr_info("req_chain: req_provider_plain() = %d\n", req_provider_plain());
	return 0;
}

static void __exit req_chain_exit(void)
{
}

module_init(req_chain_init);
module_exit(req_chain_exit);
MODULE_LICENSE("GPL");
