/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: string and memory functions.  Written for lkm.  Only functions
 * the sandbox kernel exports are declared here.
 */
#ifndef _LINUX_STRING_H_
#define _LINUX_STRING_H_

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/args.h>
#include <linux/err.h>
#include <linux/kstrdup.h>

extern void *memcpy(void *dest, const void *src, size_t count);
extern void *memmove(void *dest, const void *src, size_t count);
extern void *memset(void *s, int c, size_t count);
extern int memcmp(const void *cs, const void *ct, size_t count);

extern size_t strlen(const char *s);
extern size_t strnlen(const char *s, size_t count);
extern int strcmp(const char *cs, const char *ct);
extern int strncmp(const char *cs, const char *ct, size_t count);
extern int strcasecmp(const char *s1, const char *s2);
extern int strncasecmp(const char *s1, const char *s2, size_t n);
extern char *strcpy(char *dest, const char *src);
extern char *strncpy(char *dest, const char *src, size_t count);
extern char *strcat(char *dest, const char *src);
extern char *strncat(char *dest, const char *src, size_t count);
extern char *strchr(const char *s, int c);
extern char *strrchr(const char *s, int c);
extern char *strstr(const char *s1, const char *s2);

/*
 * strscpy(dst, src, size) copies at most size - 1 characters, always
 * NUL-terminates (when size > 0) and returns the length copied or -E2BIG
 * on truncation.  As in 6.12, size may be omitted when dst is an array.
 */
extern ssize_t strscpy(char *dest, const char *src, size_t count);
#define __lkm_strscpy0(dst, src, ...)	\
	strscpy(dst, src, sizeof(dst) + __must_be_array(dst))
#define __lkm_strscpy1(dst, src, size)	strscpy(dst, src, size)
#define strscpy(dst, src, ...)	\
	CONCATENATE(__lkm_strscpy, COUNT_ARGS(__VA_ARGS__))(dst, src, ##__VA_ARGS__)

static inline bool strstarts(const char *str, const char *prefix)
{
	return strncmp(str, prefix, strlen(prefix)) == 0;
}

/* Length of prefix if str starts with it, 0 otherwise. */
static __always_inline size_t str_has_prefix(const char *str, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(str, prefix, len) == 0 ? len : 0;
}

static inline const char *str_yes_no(bool v)
{
	return v ? "yes" : "no";
}

static inline const char *str_on_off(bool v)
{
	return v ? "on" : "off";
}

static inline const char *str_true_false(bool v)
{
	return v ? "true" : "false";
}

static inline const char *str_enabled_disabled(bool v)
{
	return v ? "enabled" : "disabled";
}

#endif /* _LINUX_STRING_H_ */
