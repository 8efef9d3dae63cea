// Exports a function in a symbol namespace.
#include <linux/module.h>
#include <linux/init.h>

MODULE_LICENSE("GPL");

int nsprov_fn(void)
{
	return 7;
}
EXPORT_SYMBOL_NS_GPL(nsprov_fn, LKM_TEST);
