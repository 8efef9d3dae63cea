/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: the freezer (suspend never happens in the sandbox: nothing ever freezes).  Written for lkm. */
#ifndef FREEZER_H_INCLUDED
#define FREEZER_H_INCLUDED

#include <linux/types.h>

struct task_struct;

static inline void set_freezable(void) { }
static inline bool try_to_freeze(void) { return false; }
static inline bool freezing(struct task_struct *p) { (void)p; return false; }

#endif /* FREEZER_H_INCLUDED */
