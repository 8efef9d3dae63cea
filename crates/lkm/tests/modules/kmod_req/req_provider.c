// SPDX-License-Identifier: GPL-2.0
/* req_provider: loaded on demand (by name or by its alias "req-alias"); exports a GPL function for
 * symbol_get() and a plain one that symbol_get() must refuse. */
#include <linux/module.h>
#include <linux/init.h>

static int answer = 42;
module_param(answer, int, 0444);

int req_provider_answer(void)
{
	return answer;
}
EXPORT_SYMBOL_GPL(req_provider_answer);

int req_provider_plain(void)
{
	return 7;
}
EXPORT_SYMBOL(req_provider_plain);

static int __init req_provider_init(void)
{
	pr_info("req_provider: loaded\n");
	return 0;
}

static void __exit req_provider_exit(void)
{
	pr_info("req_provider: unloaded\n");
}

module_init(req_provider_init);
module_exit(req_provider_exit);
MODULE_LICENSE("GPL");
MODULE_ALIAS("req-alias");
