/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: the allocating string helpers Linux declares in <linux/string.h>
 * (kstrdup, kmemdup, ...) and <linux/sprintf.h> (kasprintf), in one header
 * both of those include.  Written for lkm.  The results are kmalloc() memory:
 * release them with kfree().
 */
#ifndef _LINUX_KSTRDUP_H
#define _LINUX_KSTRDUP_H

#include <linux/compiler_attributes.h>
#include <linux/stdarg.h>
#include <linux/types.h>

extern char *kstrdup(const char *s, gfp_t gfp) __malloc;
extern const char *kstrdup_const(const char *s, gfp_t gfp);
extern void kfree_const(const void *x);
extern char *kstrndup(const char *s, size_t len, gfp_t gfp);
extern void *kmemdup(const void *src, size_t len, gfp_t gfp) __malloc;

__printf(2, 3) __malloc char *kasprintf(gfp_t gfp, const char *fmt, ...);
__printf(2, 0) __malloc char *kvasprintf(gfp_t gfp, const char *fmt, va_list args);

/* Clears memory in a way the compiler may not optimise away. */
static inline void memzero_explicit(void *s, size_t count)
{
	__builtin_memset(s, 0, count);
	__asm__ __volatile__("" : : "r"(s) : "memory");
}

#endif /* _LINUX_KSTRDUP_H */
