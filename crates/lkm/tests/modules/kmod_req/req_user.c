// SPDX-License-Identifier: GPL-2.0
/* req_user: asks for a module with request_module(want) in init, then takes req_provider_answer with
 * symbol_get() and holds it until exit. nowait=1 uses request_module_nowait(). */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kmod.h>

extern int req_provider_answer(void);
extern int req_provider_plain(void);

static char *want = "req_provider";
module_param(want, charp, 0444);
static int nowait;
module_param(nowait, int, 0444);

static int (*answer)(void);

static int __init req_user_init(void)
{
	int (*plain)(void);
	int ret;

	if (nowait) {
		ret = request_module_nowait("%s", want);
		pr_info("req_user: request_module_nowait(%s) = %d\n", want, ret);
		return 0;
	}
	ret = request_module("%s", want);
	pr_info("req_user: request_module(%s) = %d\n", want, ret);
	answer = symbol_get(req_provider_answer);
	if (answer)
		pr_info("req_user: symbol_get(req_provider_answer)() = %d\n", answer());
	else
		pr_info("req_user: symbol_get(req_provider_answer) = NULL\n");
	plain = symbol_get(req_provider_plain);
	pr_info("req_user: symbol_get(req_provider_plain) = %s\n", plain ? "found" : "NULL");
	return 0;
}

static void __exit req_user_exit(void)
{
	if (answer)
		symbol_put(req_provider_answer);
	pr_info("req_user: exit\n");
}

module_init(req_user_init);
module_exit(req_user_exit);
MODULE_LICENSE("GPL");
