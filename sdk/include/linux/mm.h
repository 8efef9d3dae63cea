/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: the little of <linux/mm.h> a module of the sandbox kernel uses:
 * page size and allocation orders.  Written for lkm; there is no struct page.
 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#include <linux/types.h>
#include <linux/const.h>
#include <linux/align.h>

#ifndef PAGE_SHIFT
#define PAGE_SHIFT	12
#define PAGE_SIZE	(_AC(1, UL) << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#endif

#define PAGE_ALIGN(addr)	ALIGN(addr, PAGE_SIZE)
#define PAGE_ALIGNED(addr)	IS_ALIGNED((unsigned long)(addr), PAGE_SIZE)
#define offset_in_page(p)	((unsigned long)(p) & ~PAGE_MASK)

/* The largest order the page allocator hands out (x86_64). */
#define MAX_PAGE_ORDER		10
#define MAX_ORDER_NR_PAGES	(1 << MAX_PAGE_ORDER)

/* The smallest order with (PAGE_SIZE << order) >= size; size 0 gives BITS_PER_LONG - PAGE_SHIFT, as in Linux. */
static inline __attribute_const__ int get_order(unsigned long size)
{
	if (__builtin_constant_p(size) && !size)
		return 64 - PAGE_SHIFT;
	size--;
	size >>= PAGE_SHIFT;
	return size ? 64 - __builtin_clzl(size) : 0;
}

#endif /* _LINUX_MM_H */
