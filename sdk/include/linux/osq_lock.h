/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: the optimistic-spinning queue word of mutexes and rw-semaphores (kept for layout; the
 * sandbox does not spin on owners).  Written for lkm. */
#ifndef __LINUX_OSQ_LOCK_H
#define __LINUX_OSQ_LOCK_H

#include <linux/types.h>

struct optimistic_spin_queue {
	atomic_t tail;
};

#define OSQ_UNLOCKED_VAL	(0)
#define OSQ_LOCK_UNLOCKED	{ ATOMIC_INIT(OSQ_UNLOCKED_VAL) }

static inline void osq_lock_init(struct optimistic_spin_queue *lock)
{
	lock->tail.counter = OSQ_UNLOCKED_VAL;
}

#endif /* __LINUX_OSQ_LOCK_H */
