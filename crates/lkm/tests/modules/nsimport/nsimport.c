// Uses a namespaced symbol without MODULE_IMPORT_NS: modpost refuses it.
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>

MODULE_LICENSE("GPL");

int nsprov_fn(void);

static int __init nsimport_init(void)
{
	pr_info("nsimport: %d\n", nsprov_fn());
	return 0;
}

module_init(nsimport_init);
