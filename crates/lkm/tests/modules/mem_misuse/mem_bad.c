// SPDX-License-Identifier: GPL-2.0
/*
 * Misuses the allocators; the kernel must report each misuse and keep going:
 * a kfree of memory kmalloc never returned, a double free, a free of an
 * interior pointer, vfree of kmalloc memory, and a sleeping allocation in
 * atomic context (next to a GFP_ATOMIC one, which is fine).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

/* The task core's exports (preempt_disable() without <linux/preempt.h>). */
extern void preempt_count_add(int val);
extern void preempt_count_sub(int val);

static char not_from_kmalloc[64];

static noinline void bad_kfree(void)
{
	kfree(not_from_kmalloc);
}

static noinline void double_kfree(void)
{
	char *p = kmalloc(32, GFP_KERNEL);

	kfree(p);
	kfree(p);
}

static noinline void interior_kfree(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	kfree(p + 8);
	kfree(p);
}

static noinline void wrong_vfree(void)
{
	char *p = kmalloc(16, GFP_KERNEL);

	vfree(p);
	kfree(p);
}

static noinline void sleep_in_atomic(void)
{
	void *a, *b;

	preempt_count_add(1);
	a = kmalloc(16, GFP_ATOMIC);
	b = kmalloc(16, GFP_KERNEL);
	preempt_count_sub(1);
	kfree(a);
	kfree(b);
}

static int __init mem_bad_init(void)
{
	bad_kfree();
	pr_info("mem_bad: after bad kfree\n");
	double_kfree();
	pr_info("mem_bad: after double kfree\n");
	interior_kfree();
	pr_info("mem_bad: after interior kfree\n");
	wrong_vfree();
	pr_info("mem_bad: after wrong vfree\n");
	sleep_in_atomic();
	pr_info("mem_bad: after sleeping allocation in atomic context\n");
	return 0;
}

static void __exit mem_bad_exit(void)
{
}

module_init(mem_bad_init);
module_exit(mem_bad_exit);
MODULE_LICENSE("GPL");
