// SPDX-License-Identifier: GPL-2.0
/*
 * kmalloc_demo: a list of kmalloc'd records, a slab cache, a vmalloc buffer
 * and a kasprintf'd name, all released in exit.  Load it with leak=1 to keep
 * one record at unload and see the kernel report it.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/random.h>

static int records = 4;
module_param(records, int, 0444);
MODULE_PARM_DESC(records, "how many records to allocate");
static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "forget one record at unload");

struct record {
	struct list_head node;
	u32 value;
	char *name;
};

static LIST_HEAD(all);
static struct kmem_cache *record_cache;
static u8 *buffer;

static int __init kmalloc_demo_init(void)
{
	int i;

	record_cache = KMEM_CACHE(record, SLAB_HWCACHE_ALIGN);
	if (!record_cache)
		return -ENOMEM;
	for (i = 0; i < records; i++) {
		struct record *r = kmem_cache_zalloc(record_cache, GFP_KERNEL);

		if (!r)
			return -ENOMEM; /* exit is not called: a real module would clean up here */
		r->value = get_random_u32_below(1000);
		r->name = kasprintf(GFP_KERNEL, "record-%d", i);
		list_add_tail(&r->node, &all);
		pr_info("kmalloc_demo: %s = %u\n", r->name, r->value);
	}
	buffer = vzalloc(1 << 20);
	if (!buffer)
		return -ENOMEM;
	pr_info("kmalloc_demo: %d records, a 1 MiB buffer\n", records);
	return 0;
}

static void __exit kmalloc_demo_exit(void)
{
	struct record *r, *tmp;

	list_for_each_entry_safe(r, tmp, &all, node) {
		if (leak) {
			leak = false;
			continue;
		}
		list_del(&r->node);
		kfree(r->name);
		kmem_cache_free(record_cache, r);
	}
	vfree(buffer);
	kmem_cache_destroy(record_cache);
	pr_info("kmalloc_demo: released\n");
}

module_init(kmalloc_demo_init);
module_exit(kmalloc_demo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmalloc, slab caches, vmalloc and kasprintf in the lkm sandbox");
