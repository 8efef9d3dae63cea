/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: kmalloc and slab caches, as Linux 6.12 presents them.  Written for
 * lkm.
 *
 * Semantics in the sandbox kernel (docs/ARCHITECTURE.md, "Memory"):
 *  - kmalloc() memory is at least 8-byte aligned (ARCH_KMALLOC_MINALIGN), and
 *    a power-of-two size up to PAGE_SIZE is naturally aligned, as with SLUB;
 *  - ksize() is the size class: 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024,
 *    2048, 4096, 8192, then whole pages;
 *  - kmalloc(0) returns ZERO_SIZE_PTR; kfree(NULL) and kfree(ZERO_SIZE_PTR)
 *    do nothing; above KMALLOC_MAX_SIZE (4 MiB) kmalloc fails with a warning;
 *  - every allocation is accounted to the calling module; what a module still
 *    holds when it is unloaded is reported and reclaimed;
 *  - freeing memory that is not (or no longer) allocated is reported, KASAN
 *    style, and ignored.
 */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/overflow.h>

/* Slab cache flags (enum _slab_flag_bits of 6.12, with Debian's configuration). */
enum _slab_flag_bits {
	_SLAB_CONSISTENCY_CHECKS,
	_SLAB_RED_ZONE,
	_SLAB_POISON,
	_SLAB_KMALLOC,
	_SLAB_HWCACHE_ALIGN,
	_SLAB_CACHE_DMA,
	_SLAB_CACHE_DMA32,
	_SLAB_STORE_USER,
	_SLAB_PANIC,
	_SLAB_TYPESAFE_BY_RCU,
	_SLAB_TRACE,
	_SLAB_NOLEAKTRACE,
	_SLAB_NO_MERGE,
	_SLAB_ACCOUNT,
	_SLAB_NO_USER_FLAGS,
	_SLAB_SKIP_KFENCE,
	_SLAB_RECLAIM_ACCOUNT,
	_SLAB_OBJECT_POISON,
	_SLAB_CMPXCHG_DOUBLE,
	_SLAB_NO_OBJ_EXT,
	_SLAB_FLAGS_LAST_BIT
};

#define __SLAB_FLAG_BIT(nr)	((slab_flags_t __force)(1U << (nr)))
#define __SLAB_FLAG_UNUSED	((slab_flags_t __force)(0U))

#define SLAB_CONSISTENCY_CHECKS	__SLAB_FLAG_BIT(_SLAB_CONSISTENCY_CHECKS)
#define SLAB_RED_ZONE		__SLAB_FLAG_BIT(_SLAB_RED_ZONE)
#define SLAB_POISON		__SLAB_FLAG_BIT(_SLAB_POISON)
#define SLAB_KMALLOC		__SLAB_FLAG_BIT(_SLAB_KMALLOC)
/* Align objects on cache lines (halved while the object fits twice). */
#define SLAB_HWCACHE_ALIGN	__SLAB_FLAG_BIT(_SLAB_HWCACHE_ALIGN)
#define SLAB_CACHE_DMA		__SLAB_FLAG_BIT(_SLAB_CACHE_DMA)
#define SLAB_CACHE_DMA32	__SLAB_FLAG_BIT(_SLAB_CACHE_DMA32)
#define SLAB_STORE_USER		__SLAB_FLAG_BIT(_SLAB_STORE_USER)
/* Panic if kmem_cache_create() fails. */
#define SLAB_PANIC		__SLAB_FLAG_BIT(_SLAB_PANIC)
#define SLAB_TYPESAFE_BY_RCU	__SLAB_FLAG_BIT(_SLAB_TYPESAFE_BY_RCU)
#define SLAB_TRACE		__SLAB_FLAG_BIT(_SLAB_TRACE)
#define SLAB_DEBUG_OBJECTS	__SLAB_FLAG_UNUSED
#define SLAB_NOLEAKTRACE	__SLAB_FLAG_BIT(_SLAB_NOLEAKTRACE)
#define SLAB_NO_MERGE		__SLAB_FLAG_BIT(_SLAB_NO_MERGE)
#define SLAB_FAILSLAB		__SLAB_FLAG_UNUSED
#define SLAB_ACCOUNT		__SLAB_FLAG_BIT(_SLAB_ACCOUNT)
#define SLAB_KASAN		__SLAB_FLAG_UNUSED
#define SLAB_NO_USER_FLAGS	__SLAB_FLAG_BIT(_SLAB_NO_USER_FLAGS)
#define SLAB_SKIP_KFENCE	__SLAB_FLAG_BIT(_SLAB_SKIP_KFENCE)
#define SLAB_RECLAIM_ACCOUNT	__SLAB_FLAG_BIT(_SLAB_RECLAIM_ACCOUNT)
#define SLAB_TEMPORARY		SLAB_RECLAIM_ACCOUNT
#define SLAB_MEM_SPREAD		__SLAB_FLAG_UNUSED

/* What kmalloc(0) returns: dereferencing it faults; kfree() accepts it. */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

#define ARCH_KMALLOC_MINALIGN	__alignof__(unsigned long long)
#define ARCH_SLAB_MINALIGN	__alignof__(unsigned long long)
#define KMALLOC_MIN_SIZE	8
#define KMALLOC_SHIFT_HIGH	(PAGE_SHIFT + 1)
#define KMALLOC_SHIFT_MAX	(MAX_PAGE_ORDER + PAGE_SHIFT)
#define KMALLOC_MAX_SIZE	(1UL << KMALLOC_SHIFT_MAX)
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_ORDER	(KMALLOC_SHIFT_MAX - PAGE_SHIFT)

struct kmem_cache;	/* opaque */

void *kmalloc(size_t size, gfp_t flags) __malloc;
void *__kmalloc(size_t size, gfp_t flags) __malloc;
void *kzalloc(size_t size, gfp_t flags) __malloc;
void *kmalloc_array(size_t n, size_t size, gfp_t flags) __malloc;
void *kcalloc(size_t n, size_t size, gfp_t flags) __malloc;
void * __must_check krealloc(const void *objp, size_t new_size, gfp_t flags);
void * __must_check krealloc_array(void *p, size_t new_n, size_t new_size, gfp_t flags);
void kfree(const void *objp);
void kfree_sensitive(const void *objp);
size_t ksize(const void *objp);
size_t kmalloc_size_roundup(size_t size);

#define kmalloc_node(size, flags, node)		kmalloc(size, flags)
#define kzalloc_node(size, flags, node)		kzalloc(size, flags)
#define kcalloc_node(n, size, flags, node)	kcalloc(n, size, flags)
#define kmalloc_array_node(n, size, flags, node) kmalloc_array(n, size, flags)

void *kvmalloc(size_t size, gfp_t flags) __malloc;
void *kvzalloc(size_t size, gfp_t flags) __malloc;
void *kvmalloc_array(size_t n, size_t size, gfp_t flags) __malloc;
void *kvcalloc(size_t n, size_t size, gfp_t flags) __malloc;
void kvfree(const void *addr);
void kvfree_sensitive(const void *addr, size_t len);

#define kvmalloc_node(size, flags, node)	kvmalloc(size, flags)
#define kvzalloc_node(size, flags, node)	kvzalloc(size, flags)

/*
 * Slab caches.  Objects are size bytes rounded up to the alignment: align
 * (a power of two, or 0), at least 8, a cache line with SLAB_HWCACHE_ALIGN
 * (halved while the object fits twice).  The constructor runs on every object
 * kmem_cache_alloc() returns.
 */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags,
				     void (*ctor)(void *));
struct kmem_cache *kmem_cache_create_usercopy(const char *name, unsigned int size,
					      unsigned int align, slab_flags_t flags,
					      unsigned int useroffset, unsigned int usersize,
					      void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *cachep, gfp_t flags) __malloc;
void *kmem_cache_zalloc(struct kmem_cache *k, gfp_t flags) __malloc;
void kmem_cache_free(struct kmem_cache *s, void *objp);
unsigned int kmem_cache_size(struct kmem_cache *s);

#define kmem_cache_alloc_node(s, flags, node)	kmem_cache_alloc(s, flags)

#define KMEM_CACHE(__struct, __flags)					\
	kmem_cache_create(#__struct, sizeof(struct __struct),		\
			  __alignof__(struct __struct), (__flags), NULL)

#define KMEM_CACHE_USERCOPY(__struct, __flags, __field)			\
	kmem_cache_create_usercopy(#__struct, sizeof(struct __struct),	\
			__alignof__(struct __struct), (__flags),		\
			offsetof(struct __struct, __field),			\
			sizeof_field(struct __struct, __field), NULL)

#endif /* _LINUX_SLAB_H */
