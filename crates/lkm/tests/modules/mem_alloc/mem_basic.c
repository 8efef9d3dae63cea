// SPDX-License-Identifier: GPL-2.0
/*
 * Exercises every allocator the sandbox kernel exports and prints what it
 * saw; the test reads the lines from dmesg.  Keeps a few allocations while
 * loaded (freed in exit), so the accounting has something to show.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/string.h>
#include <lkm/memory.h>

struct thing {
	u64 a;
	u32 b;
	char name[20];
};

static struct kmem_cache *thing_cache;
static struct kmem_cache *line_cache;
static void *kept_kmalloc;
static void *kept_vmalloc;
static struct thing *kept_thing;
static int ctor_calls;

static void thing_ctor(void *p)
{
	struct thing *t = p;

	ctor_calls++;
	t->b = 0xc0ffee;
}

static int check(const char *what, bool ok)
{
	pr_info("mem_basic: %s %s\n", what, ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

static bool all_bytes(const void *p, int c, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != (unsigned char)c)
			return false;
	return true;
}

static int __init mem_basic_init(void)
{
	int bad = 0;
	size_t sizes[] = { 1, 8, 9, 64, 65, 100, 200, 300, 4096, 5000, 9000 };
	char *s, *t;
	u8 *p, *q;
	unsigned long pages, bytes, count;
	struct thing *th;
	void *lines[4];
	u64 r1, r2;
	unsigned char rnd[64];
	int i;

	/* kmalloc: size classes, alignment, writable to ksize. */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = kmalloc(sizes[i], GFP_KERNEL);
		if (!p) {
			bad++;
			continue;
		}
		memset(p, 0x5a, ksize(p));
		pr_info("mem_basic: kmalloc %zu ksize %zu align %s\n", sizes[i], ksize(p),
			((unsigned long)p & 7) ? "bad" :
			(((sizes[i] & (sizes[i] - 1)) == 0 && sizes[i] <= PAGE_SIZE &&
			  ((unsigned long)p & (sizes[i] - 1))) ? "unnatural" : "ok"));
		kfree(p);
	}
	p = kmalloc(64, GFP_KERNEL);
	bad += check("kmalloc(64) naturally aligned", p && ((unsigned long)p & 63) == 0);
	kfree(p);
	bad += check("kmalloc(0) is ZERO_SIZE_PTR", kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	bad += check("ksize(NULL) is 0", ksize(NULL) == 0);
	bad += check("kmalloc beyond KMALLOC_MAX_SIZE fails",
		     kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN) == NULL);

	/* kzalloc, kcalloc, kmalloc_array. */
	p = kzalloc(1000, GFP_KERNEL);
	bad += check("kzalloc zeroed", p && all_bytes(p, 0, 1000));
	kfree(p);
	p = kcalloc(100, 30, GFP_KERNEL);
	bad += check("kcalloc zeroed", p && all_bytes(p, 0, 3000));
	kfree(p);
	bad += check("kcalloc overflow fails", kcalloc(~0UL / 2, 4, GFP_KERNEL) == NULL);
	p = kmalloc_array(10, 10, GFP_KERNEL);
	bad += check("kmalloc_array", p && ksize(p) == 128);
	kfree(p);

	/* krealloc keeps contents, in place when it fits. */
	p = kmalloc(20, GFP_KERNEL);
	for (i = 0; i < 20; i++)
		p[i] = i;
	q = krealloc(p, 30, GFP_KERNEL);
	bad += check("krealloc in place", q == p);
	q = krealloc(q, 5000, GFP_KERNEL);
	bad += check("krealloc grows", q && ksize(q) == 8192);
	for (i = 0; i < 20 && q; i++)
		if (q[i] != i)
			break;
	bad += check("krealloc keeps contents", i == 20);
	p = krealloc(q, 0, GFP_KERNEL);
	bad += check("krealloc(p, 0) frees", p == ZERO_SIZE_PTR);
	p = krealloc(NULL, 10, GFP_KERNEL);
	bad += check("krealloc(NULL) allocates", p && ksize(p) == 16);
	kfree_sensitive(p);

	/* String helpers. */
	s = kstrdup("Good morrow", GFP_KERNEL);
	bad += check("kstrdup", s && !strcmp(s, "Good morrow") && ksize(s) == 16);
	t = kstrndup(s, 4, GFP_KERNEL);
	bad += check("kstrndup", t && !strcmp(t, "Good"));
	kfree(t);
	p = kmemdup(s, 5, GFP_KERNEL);
	bad += check("kmemdup", p && !memcmp(p, "Good ", 5));
	kfree(p);
	kfree(s);
	bad += check("kstrdup(NULL)", kstrdup(NULL, GFP_KERNEL) == NULL);
	s = kasprintf(GFP_KERNEL, "%s-%d-%05x-%pS", "fmt", 42, 0xbeef, mem_basic_init);
	if (s)
		pr_info("mem_basic: kasprintf \"%s\" len %zu\n", s, strlen(s));
	kfree(s);

	/* vmalloc: 1 MiB, writable end to end. */
	p = vmalloc(1 << 20);
	if (p) {
		for (i = 0; i < (1 << 20); i += 4096)
			p[i] = 1;
		p[(1 << 20) - 1] = 2;
	}
	bad += check("vmalloc 1 MiB writable", p && p[(1 << 20) - 1] == 2 &&
		     is_vmalloc_addr(p + 4096) && ((unsigned long)p & (PAGE_SIZE - 1)) == 0);
	vfree(p);
	vfree(NULL);
	p = vzalloc(10000);
	bad += check("vzalloc zeroed", p && all_bytes(p, 0, 10000));
	vfree(p);

	/* kvmalloc: small from kmalloc, large from vmalloc; kvfree takes both. */
	p = kvmalloc(100, GFP_KERNEL);
	q = kvzalloc(1 << 20, GFP_KERNEL);
	bad += check("kvmalloc small is kmalloc", p && !is_vmalloc_addr(p));
	bad += check("kvzalloc large is vmalloc, zeroed", q && is_vmalloc_addr(q) &&
		     all_bytes(q, 0, 1 << 20));
	kvfree(p);
	kvfree(q);

	/* GFP_ATOMIC and GFP_NOWAIT. */
	p = kmalloc(128, GFP_ATOMIC);
	q = kzalloc(128, GFP_NOWAIT);
	bad += check("GFP_ATOMIC and GFP_NOWAIT", p && q);
	kfree(p);
	kfree(q);

	/* Slab caches: object size and alignment, constructor. */
	thing_cache = kmem_cache_create("thing", sizeof(struct thing), 32, 0, thing_ctor);
	line_cache = kmem_cache_create("line", 100, 0, SLAB_HWCACHE_ALIGN, NULL);
	bad += check("kmem_cache_create", thing_cache && line_cache);
	if (!thing_cache || !line_cache)
		return -ENOMEM;
	pr_info("mem_basic: kmem_cache thing size %u\n", kmem_cache_size(thing_cache));
	th = kmem_cache_alloc(thing_cache, GFP_KERNEL);
	bad += check("kmem_cache_alloc aligned 32, constructed",
		     th && ((unsigned long)th & 31) == 0 && th->b == 0xc0ffee && ctor_calls == 1);
	if (th)
		strscpy(th->name, "a thing");
	kept_thing = th;
	for (i = 0, count = 0; i < 4; i++) {
		lines[i] = kmem_cache_zalloc(line_cache, GFP_KERNEL);
		if (lines[i] && !((unsigned long)lines[i] & 63) && all_bytes(lines[i], 0, 100))
			count++;
	}
	bad += check("kmem_cache_zalloc cache-line aligned, zeroed", count == 4);
	for (i = 0; i < 4; i++)
		kmem_cache_free(line_cache, lines[i]);
	kmem_cache_destroy(line_cache);
	line_cache = NULL;
	kmem_cache_destroy(NULL);
	bad += check("kmem_cache_create(size 0) fails",
		     kmem_cache_create("empty", 0, 0, 0, NULL) == NULL);

	/* Pages. */
	pages = __get_free_pages(GFP_KERNEL, 2);
	bad += check("__get_free_pages order 2 page-aligned",
		     pages && (pages & (PAGE_SIZE - 1)) == 0);
	if (pages)
		memset((void *)pages, 0xaa, 4 * PAGE_SIZE);
	free_pages(pages, 2);
	pages = get_zeroed_page(GFP_KERNEL);
	bad += check("get_zeroed_page", pages && all_bytes((void *)pages, 0, PAGE_SIZE));
	free_page(pages);
	pages = __get_free_page(GFP_ATOMIC);
	bad += check("__get_free_page", pages != 0);
	free_page(pages);
	bad += check("get_order", get_order(1) == 0 && get_order(4096) == 0 &&
		     get_order(4097) == 1 && get_order(1 << 20) == 8);

	/* Random numbers. */
	memset(rnd, 0, sizeof(rnd));
	get_random_bytes(rnd, sizeof(rnd));
	r1 = get_random_u64();
	r2 = get_random_u64();
	bad += check("random", !all_bytes(rnd, 0, sizeof(rnd)) && r1 != r2 &&
		     get_random_u32_below(10) < 10);
	(void)get_random_u32();

	/* Kept while loaded: 300 + 100000 + the thing. */
	kept_kmalloc = kmalloc(300, GFP_KERNEL);
	kept_vmalloc = vmalloc(100000);
	if (__lkm_module_memory("mem_basic", &count, &bytes) == 0)
		pr_info("mem_basic: holds %lu allocation(s), %lu bytes\n", count, bytes);
	pr_info("mem_basic: %d failure(s)\n", bad);
	return 0;
}

static void __exit mem_basic_exit(void)
{
	unsigned long count = 99, bytes = 99;

	kfree(kept_kmalloc);
	vfree(kept_vmalloc);
	kmem_cache_free(thing_cache, kept_thing);
	kmem_cache_destroy(thing_cache);
	__lkm_module_memory("mem_basic", &count, &bytes);
	pr_info("mem_basic: exit holds %lu allocation(s), %lu bytes\n", count, bytes);
}

module_init(mem_basic_init);
module_exit(mem_basic_exit);
MODULE_LICENSE("GPL");
