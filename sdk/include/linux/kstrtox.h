/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: string to integer conversion.  Written for lkm.
 * The kstrto* functions return 0 or -EINVAL / -ERANGE and accept one
 * trailing newline; base 0 means auto-detect (0x.. hex, 0.. octal).
 */
#ifndef _LINUX_KSTRTOX_H
#define _LINUX_KSTRTOX_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/limits.h>
#include <asm/errno.h>

int __must_check kstrtoull(const char *s, unsigned int base, unsigned long long *res);
int __must_check kstrtoll(const char *s, unsigned int base, long long *res);
int __must_check kstrtoul(const char *s, unsigned int base, unsigned long *res);
int __must_check kstrtol(const char *s, unsigned int base, long *res);
int __must_check kstrtouint(const char *s, unsigned int base, unsigned int *res);
int __must_check kstrtoint(const char *s, unsigned int base, int *res);
int __must_check kstrtobool(const char *s, bool *res);

/* Narrow variants, built on the exported ones. */
static inline int __must_check kstrtou64(const char *s, unsigned int base, u64 *res)
{
	return kstrtoull(s, base, res);
}

static inline int __must_check kstrtos64(const char *s, unsigned int base, s64 *res)
{
	return kstrtoll(s, base, res);
}

static inline int __must_check kstrtou32(const char *s, unsigned int base, u32 *res)
{
	return kstrtouint(s, base, res);
}

static inline int __must_check kstrtos32(const char *s, unsigned int base, s32 *res)
{
	return kstrtoint(s, base, res);
}

static inline int __must_check kstrtou16(const char *s, unsigned int base, u16 *res)
{
	unsigned int v;
	int rc = kstrtouint(s, base, &v);

	if (rc)
		return rc;
	if (v > U16_MAX)
		return -ERANGE;
	*res = v;
	return 0;
}

static inline int __must_check kstrtos16(const char *s, unsigned int base, s16 *res)
{
	int v;
	int rc = kstrtoint(s, base, &v);

	if (rc)
		return rc;
	if (v < S16_MIN || v > S16_MAX)
		return -ERANGE;
	*res = v;
	return 0;
}

static inline int __must_check kstrtou8(const char *s, unsigned int base, u8 *res)
{
	unsigned int v;
	int rc = kstrtouint(s, base, &v);

	if (rc)
		return rc;
	if (v > U8_MAX)
		return -ERANGE;
	*res = v;
	return 0;
}

static inline int __must_check kstrtos8(const char *s, unsigned int base, s8 *res)
{
	int v;
	int rc = kstrtoint(s, base, &v);

	if (rc)
		return rc;
	if (v < S8_MIN || v > S8_MAX)
		return -ERANGE;
	*res = v;
	return 0;
}

/* Obsolete, non-checking conversions (still used by old modules). */
extern unsigned long simple_strtoul(const char *cp, char **endp, unsigned int base);
extern long simple_strtol(const char *cp, char **endp, unsigned int base);
extern unsigned long long simple_strtoull(const char *cp, char **endp, unsigned int base);

#endif /* _LINUX_KSTRTOX_H */
