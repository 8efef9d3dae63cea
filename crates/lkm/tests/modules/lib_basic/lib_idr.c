// SPDX-License-Identifier: GPL-2.0
/*
 * ID allocators (tests/services_lib.rs): idr_alloc in ranges and past its end, idr_find,
 * idr_replace, idr_remove, idr_for_each, idr_for_each_entry, idr_alloc_cyclic, idr_alloc_u32, a
 * base; ida_alloc/_range/_min, ida_free and a free of an id never allocated (Linux's WARN).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/idr.h>
#include <linux/slab.h>

MODULE_LICENSE("GPL");

static DEFINE_IDR(names);
static DEFINE_IDA(minors);
static char *words[] = { "zero", "one", "two", "three" };

static int show(int id, void *p, void *data)
{
	int *count = data;

	pr_info("lib_idr: each %d=%s\n", id, (char *)p);
	return ++*count == 2 ? 99 : 0;
}

static int __init lib_idr_init(void)
{
	struct idr *heap;
	int id, a, b, c, d, count = 0, i;
	u32 next = 5;
	void *p, *q;

	/* One call per statement: C leaves the order of a call's arguments open. */
	a = idr_alloc(&names, words[0], 0, 0, GFP_KERNEL);
	b = idr_alloc(&names, words[1], 0, 0, GFP_KERNEL);
	c = idr_alloc(&names, words[2], 10, 12, GFP_KERNEL);
	pr_info("lib_idr: alloc %d %d %d\n", a, b, c);
	a = idr_alloc(&names, words[3], 10, 11, GFP_KERNEL);
	b = idr_alloc(&names, words[3], 10, 12, GFP_KERNEL);
	c = idr_alloc(&names, words[3], -1, 0, GFP_KERNEL);
	pr_info("lib_idr: full range %d, then %d, bad start %d\n", a, b, c);
	pr_info("lib_idr: find 1=%s 10=%s 7=%s\n", (char *)idr_find(&names, 1),
		(char *)idr_find(&names, 10), idr_find(&names, 7) ? "found" : "NULL");
	p = idr_replace(&names, words[3], 1);
	q = idr_replace(&names, words[0], 7);
	pr_info("lib_idr: replace 1 was %s; 7 gives %ld\n", (char *)p, PTR_ERR(q));
	p = idr_remove(&names, 0);
	q = idr_remove(&names, 0);
	pr_info("lib_idr: remove 0 gives %s, again %s\n", (char *)p, q ? "found" : "NULL");
	a = idr_for_each(&names, show, &count);
	pr_info("lib_idr: for_each returned %d\n", a);
	idr_for_each_entry(&names, p, id)
		pr_info("lib_idr: entry %d=%s\n", id, (char *)p);
	{
		unsigned long tmp, ul;

		idr_for_each_entry_ul(&names, p, tmp, ul)
			pr_info("lib_idr: entry_ul %lu=%s\n", ul, (char *)p);
	}
	a = idr_alloc_u32(&names, words[0], &next, 100, GFP_KERNEL);
	pr_info("lib_idr: u32 %d next=%u\n", a, next);
	idr_destroy(&names);
	pr_info("lib_idr: destroyed: empty=%d\n", idr_is_empty(&names));

	heap = kmalloc(sizeof(*heap), GFP_KERNEL);
	if (!heap)
		return -ENOMEM;
	idr_init_base(heap, 1);
	for (i = 0; i < 3; i++) {
		a = idr_alloc_cyclic(heap, words[i], 0, 3, GFP_KERNEL);
		pr_info("lib_idr: cyclic %d\n", a);
	}
	idr_remove(heap, 1);
	a = idr_alloc_cyclic(heap, words[3], 0, 3, GFP_KERNEL);
	pr_info("lib_idr: cyclic after remove %d\n", a);
	idr_destroy(heap);
	kfree(heap);

	a = ida_alloc(&minors, GFP_KERNEL);
	b = ida_alloc(&minors, GFP_KERNEL);
	c = ida_alloc_min(&minors, 8, GFP_KERNEL);
	d = ida_alloc_range(&minors, 0, 1, GFP_KERNEL);
	pr_info("lib_idr: ida %d %d %d %d\n", a, b, c, d);
	ida_free(&minors, 0);
	a = ida_alloc(&minors, GFP_KERNEL);
	pr_info("lib_idr: ida again %d\n", a);
	ida_free(&minors, 5);
	ida_destroy(&minors);
	pr_info("lib_idr: ida destroyed: empty=%d\n", ida_is_empty(&minors));
	return 0;
}

static void __exit lib_idr_exit(void)
{
}

module_init(lib_idr_init);
module_exit(lib_idr_exit);
