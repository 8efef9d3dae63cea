/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm extension (no Linux counterpart): what a loaded module holds from the
 * kernel's allocators, as the sandbox kernel accounts it.
 */
#ifndef _LKM_MEMORY_H
#define _LKM_MEMORY_H

#include <linux/types.h>

/*
 * Outstanding allocations of the module called name (kmalloc, slab cache
 * objects, vmalloc, pages) and the bytes requested for them; an empty name
 * counts every outstanding allocation.  0, or -ENOENT when no such module is
 * loaded.
 */
int __lkm_module_memory(const char *name, unsigned long *count, unsigned long *bytes);

#endif /* _LKM_MEMORY_H */
