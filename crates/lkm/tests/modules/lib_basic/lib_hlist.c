// SPDX-License-Identifier: GPL-2.0
/* hlist: a small hash table of chains. */
#include <linux/module.h>
#include <linux/list.h>

struct item {
	int key;
	struct hlist_node node;
};

static struct hlist_head table[4];
static struct item items[6];

static int __init lib_hlist_init(void)
{
	struct item *it;
	struct hlist_node *tmp;
	int i, count = 0, sum = 0;

	for (i = 0; i < 4; i++)
		INIT_HLIST_HEAD(&table[i]);
	pr_info("lib_hlist: empty %d\n", hlist_empty(&table[0]));
	for (i = 0; i < 6; i++) {
		items[i].key = i;
		INIT_HLIST_NODE(&items[i].node);
		hlist_add_head(&items[i].node, &table[i % 4]);
	}
	pr_info("lib_hlist: unhashed %d %d\n", hlist_unhashed(&items[0].node),
		hlist_unhashed(&(struct hlist_node){ 0 }));
	hlist_for_each_entry(it, &table[0], node)
		pr_info("lib_hlist: bucket 0 has %d\n", it->key);
	hlist_del(&items[4].node);
	hlist_for_each_entry(it, &table[0], node)
		pr_info("lib_hlist: after del bucket 0 has %d\n", it->key);
	for (i = 0; i < 4; i++)
		hlist_for_each_entry_safe(it, tmp, &table[i], node) {
			count++;
			sum += it->key;
			hlist_del_init(&it->node);
		}
	pr_info("lib_hlist: count %d sum %d empty %d %d unhashed %d\n", count, sum,
		hlist_empty(&table[0]), hlist_empty(&table[1]), hlist_unhashed(&items[1].node));
	return 0;
}

static void __exit lib_hlist_exit(void)
{
}

module_init(lib_hlist_init);
module_exit(lib_hlist_exit);
MODULE_LICENSE("GPL");
