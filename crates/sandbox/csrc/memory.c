/*
 * The memory services' thin C edge (issue 5, "Memory"): each allocation entry point hands the
 * caller's return address to Rust (src/services/memory.rs), which accounts the allocation to the
 * module whose code made the call. Two more things only C does here:
 *
 *  - kasprintf/kvasprintf are variadic: they format twice through the Rust formatter
 *    (lkm_vsnprintf, as snprintf does), once to measure and once into the new allocation;
 *  - kmem_cache_alloc runs the cache's constructor, which is module code, from C: a fault in it
 *    ends the module's call as an oops without any Rust frame in between.
 */
#include <stdarg.h>
#include <stddef.h>

typedef unsigned int gfp_t;

/* ---- Rust side (src/services/memory.rs) ---- */
extern void *lkm_kmalloc(size_t size, gfp_t flags, void *caller);
extern void *lkm_krealloc(const void *p, size_t size, gfp_t flags, void *caller);
extern void lkm_kfree(const void *p, int sensitive, void *caller);
extern size_t lkm_ksize(const void *p, void *caller);
extern char *lkm_kstrndup(const char *s, size_t max, gfp_t flags, void *caller);
extern void *lkm_kmemdup(const void *src, size_t len, gfp_t flags, void *caller);
extern void *lkm_vmalloc(size_t size, gfp_t flags, void *caller);
extern void lkm_vfree(const void *p, void *caller);
extern void *lkm_kvmalloc(size_t size, gfp_t flags, void *caller);
extern void lkm_kvfree(const void *p, int sensitive, void *caller);
extern void *lkm_kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				   unsigned int flags, unsigned int useroffset,
				   unsigned int usersize, void (*ctor)(void *), void *caller);
extern void *lkm_kmem_cache_alloc(void *cache, gfp_t flags, void (**ctor)(void *),
				  void *caller);
extern void lkm_kmem_cache_free(void *cache, const void *p, void *caller);
extern void lkm_kmem_cache_destroy(void *cache, void *caller);
extern unsigned long lkm_get_free_pages(gfp_t flags, unsigned int order, void *caller);
extern void lkm_free_pages(unsigned long addr, unsigned int order, void *caller);
extern int lkm_vsnprintf(char *buf, size_t size, const char *fmt, void *ap, int mode);

#define CALLER __builtin_return_address(0)
#define GFP_ZERO 0x100u
#define SIZE_MAX_ ((size_t)-1)

void *kmalloc(size_t size, gfp_t flags)
{
	return lkm_kmalloc(size, flags, CALLER);
}

void *__kmalloc(size_t size, gfp_t flags)
{
	return lkm_kmalloc(size, flags, CALLER);
}

void *kzalloc(size_t size, gfp_t flags)
{
	return lkm_kmalloc(size, flags | GFP_ZERO, CALLER);
}

void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return lkm_kmalloc(bytes, flags, CALLER);
}

void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return lkm_kmalloc(bytes, flags | GFP_ZERO, CALLER);
}

void *krealloc(const void *p, size_t new_size, gfp_t flags)
{
	return lkm_krealloc(p, new_size, flags, CALLER);
}

void *krealloc_array(void *p, size_t n, size_t size, gfp_t flags)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return lkm_krealloc(p, bytes, flags, CALLER);
}

void kfree(const void *p)
{
	lkm_kfree(p, 0, CALLER);
}

void kfree_sensitive(const void *p)
{
	lkm_kfree(p, 1, CALLER);
}

size_t ksize(const void *p)
{
	return lkm_ksize(p, CALLER);
}

char *kstrdup(const char *s, gfp_t flags)
{
	return lkm_kstrndup(s, SIZE_MAX_, flags, CALLER);
}

const char *kstrdup_const(const char *s, gfp_t flags)
{
	return lkm_kstrndup(s, SIZE_MAX_, flags, CALLER);
}

void kfree_const(const void *p)
{
	lkm_kfree(p, 0, CALLER);
}

char *kstrndup(const char *s, size_t max, gfp_t flags)
{
	return lkm_kstrndup(s, max, flags, CALLER);
}

void *kmemdup(const void *src, size_t len, gfp_t flags)
{
	return lkm_kmemdup(src, len, flags, CALLER);
}

static char *do_kvasprintf(gfp_t flags, const char *fmt, va_list args, void *caller)
{
	va_list ap;
	int len;
	char *p;

	va_copy(ap, args);
	len = lkm_vsnprintf(NULL, 0, fmt, &ap, 0);
	va_end(ap);
	if (len < 0)
		return NULL;
	p = lkm_kmalloc((size_t)len + 1, flags, caller);
	if (!p)
		return NULL;
	va_copy(ap, args);
	lkm_vsnprintf(p, (size_t)len + 1, fmt, &ap, 0);
	va_end(ap);
	return p;
}

char *kvasprintf(gfp_t flags, const char *fmt, va_list args)
{
	return do_kvasprintf(flags, fmt, args, CALLER);
}

char *kasprintf(gfp_t flags, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = do_kvasprintf(flags, fmt, ap, CALLER);
	va_end(ap);
	return p;
}

/* GFP_KERNEL: vmalloc() always may sleep. */
#define GFP_KERNEL_ 0xcc0u

void *vmalloc(unsigned long size)
{
	return lkm_vmalloc(size, GFP_KERNEL_, CALLER);
}

void *vzalloc(unsigned long size)
{
	return lkm_vmalloc(size, GFP_KERNEL_ | GFP_ZERO, CALLER);
}

void *__vmalloc(unsigned long size, gfp_t flags)
{
	return lkm_vmalloc(size, flags, CALLER);
}

void vfree(const void *p)
{
	lkm_vfree(p, CALLER);
}

void *kvmalloc(size_t size, gfp_t flags)
{
	return lkm_kvmalloc(size, flags, CALLER);
}

void *kvzalloc(size_t size, gfp_t flags)
{
	return lkm_kvmalloc(size, flags | GFP_ZERO, CALLER);
}

void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return lkm_kvmalloc(bytes, flags, CALLER);
}

void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return lkm_kvmalloc(bytes, flags | GFP_ZERO, CALLER);
}

void kvfree(const void *p)
{
	lkm_kvfree(p, 0, CALLER);
}

void kvfree_sensitive(const void *p, size_t len)
{
	(void)len;
	lkm_kvfree(p, 1, CALLER);
}

void *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
			unsigned int flags, void (*ctor)(void *))
{
	return lkm_kmem_cache_create(name, size, align, flags, 0, 0, ctor, CALLER);
}

void *kmem_cache_create_usercopy(const char *name, unsigned int size, unsigned int align,
				 unsigned int flags, unsigned int useroffset,
				 unsigned int usersize, void (*ctor)(void *))
{
	return lkm_kmem_cache_create(name, size, align, flags, useroffset, usersize, ctor,
				     CALLER);
}

static void *cache_alloc(void *cache, gfp_t flags, void *caller)
{
	void (*ctor)(void *) = NULL;
	void *p = lkm_kmem_cache_alloc(cache, flags, &ctor, caller);
	/* A fresh object of a cache with a constructor: construct it (module code). */
	if (p && ctor)
		ctor(p);
	return p;
}

void *kmem_cache_alloc(void *cache, gfp_t flags)
{
	return cache_alloc(cache, flags, CALLER);
}

void *kmem_cache_zalloc(void *cache, gfp_t flags)
{
	return cache_alloc(cache, flags | GFP_ZERO, CALLER);
}

void kmem_cache_free(void *cache, void *p)
{
	lkm_kmem_cache_free(cache, p, CALLER);
}

void kmem_cache_destroy(void *cache)
{
	lkm_kmem_cache_destroy(cache, CALLER);
}

unsigned long __get_free_pages(gfp_t flags, unsigned int order)
{
	return lkm_get_free_pages(flags, order, CALLER);
}

unsigned long get_zeroed_page(gfp_t flags)
{
	return lkm_get_free_pages(flags | GFP_ZERO, 0, CALLER);
}

void free_pages(unsigned long addr, unsigned int order)
{
	lkm_free_pages(addr, order, CALLER);
}
