/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: the simple wait-queue head completions embed (its waiters are kept by the kernel).
 * Written for lkm. */
#ifndef _LINUX_SWAIT_H
#define _LINUX_SWAIT_H

#include <linux/list.h>
#include <linux/spinlock_types.h>

struct swait_queue_head {
	raw_spinlock_t		lock;
	struct list_head	task_list;
};

#define __SWAIT_QUEUE_HEAD_INITIALIZER(name) {				\
	.lock		= __RAW_SPIN_LOCK_INITIALIZER(name.lock),	\
	.task_list	= LIST_HEAD_INIT((name).task_list),		\
}

#define DECLARE_SWAIT_QUEUE_HEAD(name)					\
	struct swait_queue_head name = __SWAIT_QUEUE_HEAD_INITIALIZER(name)

static inline void init_swait_queue_head(struct swait_queue_head *q)
{
	q->lock.raw_lock.val.counter = 0;
	INIT_LIST_HEAD(&q->task_list);
}

#endif /* _LINUX_SWAIT_H */
