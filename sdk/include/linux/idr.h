/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: ID allocators (lib/idr.c).  struct idr maps small integers to pointers, struct ida
 * hands out integers; what they hold is the kernel's (kept by the sandbox, keyed by the struct's
 * address), so a struct must be defined with DEFINE_IDR/DEFINE_IDA or set up with
 * idr_init/ida_init before use, as on Linux.  Written for lkm.
 */
#ifndef __IDR_H__
#define __IDR_H__

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/err.h>

struct idr {
	unsigned long __lkm_key;	/* 0 */
	unsigned int idr_base;		/* 8 */
	unsigned int idr_next;		/* 12 */
};

#define IDR_INIT_BASE(name, base)	{ .idr_base = (base), .idr_next = 0 }
#define IDR_INIT(name)			IDR_INIT_BASE(name, 0)
#define DEFINE_IDR(name)		struct idr name = IDR_INIT(name)

void idr_init_base(struct idr *idr, int base);

static inline void idr_init(struct idr *idr)
{
	idr_init_base(idr, 0);
}

/* Linux preallocates here so that idr_alloc can run under a spinlock; nothing to do. */
static inline void idr_preload(gfp_t gfp_mask)
{
}

static inline void idr_preload_end(void)
{
}

int idr_alloc(struct idr *idr, void *ptr, int start, int end, gfp_t gfp);
int __must_check idr_alloc_u32(struct idr *idr, void *ptr, u32 *nextid, unsigned long max,
			       gfp_t gfp);
int idr_alloc_cyclic(struct idr *idr, void *ptr, int start, int end, gfp_t gfp);
void *idr_remove(struct idr *idr, unsigned long id);
void *idr_find(const struct idr *idr, unsigned long id);
int idr_for_each(const struct idr *idr, int (*fn)(int id, void *p, void *data), void *data);
void *idr_get_next(struct idr *idr, int *nextid);
void *idr_get_next_ul(struct idr *idr, unsigned long *nextid);
void *idr_replace(struct idr *idr, void *ptr, unsigned long id);
void idr_destroy(struct idr *idr);
bool idr_is_empty(const struct idr *idr);

static inline unsigned int idr_get_cursor(const struct idr *idr)
{
	return idr->idr_next;
}

static inline void idr_set_cursor(struct idr *idr, unsigned int val)
{
	idr->idr_next = val;
}

#define idr_for_each_entry(idr, entry, id)			\
	for (id = 0; ((entry) = idr_get_next(idr, &(id))) != NULL; id += 1U)
#define idr_for_each_entry_ul(idr, entry, tmp, id)			\
	for (tmp = 0, id = 0;						\
	     ((entry) = tmp <= id ? idr_get_next_ul(idr, &(id)) : NULL) != NULL; \
	     tmp = id, ++id)
#define idr_for_each_entry_continue(idr, entry, id)			\
	for ((entry) = idr_get_next((idr), &(id));			\
	     entry;							\
	     ++id, (entry) = idr_get_next((idr), &(id)))

struct ida {
	unsigned long __lkm_key[2];
};

#define IDA_INIT(name)		{ }
#define DEFINE_IDA(name)	struct ida name = IDA_INIT(name)

void ida_init(struct ida *ida);
int ida_alloc_range(struct ida *ida, unsigned int min, unsigned int max, gfp_t gfp);
void ida_free(struct ida *ida, unsigned int id);
void ida_destroy(struct ida *ida);
bool ida_is_empty(const struct ida *ida);

static inline int ida_alloc(struct ida *ida, gfp_t gfp)
{
	return ida_alloc_range(ida, 0, ~0, gfp);
}

static inline int ida_alloc_min(struct ida *ida, unsigned int min, gfp_t gfp)
{
	return ida_alloc_range(ida, min, ~0, gfp);
}

static inline int ida_alloc_max(struct ida *ida, unsigned int max, gfp_t gfp)
{
	return ida_alloc_range(ida, 0, max, gfp);
}

#endif
