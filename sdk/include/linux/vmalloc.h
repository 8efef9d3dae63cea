/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: virtually contiguous allocations.  Written for lkm.
 *
 * In the sandbox kernel vmalloc() maps whole pages followed by an
 * inaccessible guard page, as Linux does: writing past the last page of an
 * area oopses in the writing function.  vmalloc() may sleep; calling it in
 * atomic context is reported.  vfree() of anything else is reported.
 */
#ifndef _LINUX_VMALLOC_H
#define _LINUX_VMALLOC_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/overflow.h>

void *vmalloc(unsigned long size) __malloc;
void *vzalloc(unsigned long size) __malloc;
void *__vmalloc(unsigned long size, gfp_t gfp_mask) __malloc;
void vfree(const void *addr);
bool is_vmalloc_addr(const void *x);

#define vmalloc_node(size, node)	vmalloc(size)
#define vzalloc_node(size, node)	vzalloc(size)
#define vmalloc_array(n, size)		vmalloc(size_mul(n, size))
#define vcalloc(n, size)		vzalloc(size_mul(n, size))

#endif /* _LINUX_VMALLOC_H */
