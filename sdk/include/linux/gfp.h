/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: the page allocator's interface, as far as the sandbox kernel has
 * one: GFP flags and whole-page allocations (no struct page).  Written for lkm.
 */
#ifndef __LINUX_GFP_H
#define __LINUX_GFP_H

#include <linux/gfp_types.h>
#include <linux/mm.h>

static inline bool gfpflags_allow_blocking(const gfp_t gfp_flags)
{
	return !!(gfp_flags & __GFP_DIRECT_RECLAIM);
}

/*
 * 2^order contiguous, page-aligned pages (order <= MAX_PAGE_ORDER), as a
 * kernel address; 0 on failure.  Accounted to the calling module.
 */
extern unsigned long __get_free_pages(gfp_t gfp_mask, unsigned int order);
extern unsigned long get_zeroed_page(gfp_t gfp_mask);
extern void free_pages(unsigned long addr, unsigned int order);

#define __get_free_page(gfp_mask)	__get_free_pages((gfp_mask), 0)
#define free_page(addr)			free_pages((addr), 0)

#endif /* __LINUX_GFP_H */
