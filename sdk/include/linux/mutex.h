/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: struct mutex (docs/SDK-ABI.md, "Locking"): Linux 6.12's layout; owner holds the owning
 * task (bit 0: waiters).  Waiters sleep (they do not spin) and get the mutex in arrival order; a
 * blocking call in atomic context logs the kernel's "sleeping function called from invalid
 * context" report.  Written for lkm.
 */
#ifndef __LINUX_MUTEX_H
#define __LINUX_MUTEX_H

#include <linux/list.h>
#include <linux/spinlock_types.h>
#include <linux/lockdep.h>
#include <linux/atomic.h>
#include <linux/osq_lock.h>
#include <linux/compiler.h>

struct mutex {
	atomic_long_t		owner;
	raw_spinlock_t		wait_lock;
	struct optimistic_spin_queue osq;
	struct list_head	wait_list;
};

#define __MUTEX_INITIALIZER(lockname)					\
		{ .owner = ATOMIC_LONG_INIT(0)				\
		, .wait_lock = __RAW_SPIN_LOCK_INITIALIZER(lockname.wait_lock) \
		, .osq = OSQ_LOCK_UNLOCKED				\
		, .wait_list = LIST_HEAD_INIT(lockname.wait_list) }

#define DEFINE_MUTEX(mutexname) \
	struct mutex mutexname = __MUTEX_INITIALIZER(mutexname)

extern void __mutex_init(struct mutex *lock, const char *name, struct lock_class_key *key);

#define mutex_init(mutex)						\
do {									\
	static struct lock_class_key __key;				\
									\
	__mutex_init((mutex), #mutex, &__key);				\
} while (0)

#define mutex_destroy(lock)	do { (void)(lock); } while (0)

/* The owner word without its flag bits. */
static inline bool mutex_is_locked(struct mutex *lock)
{
	return (atomic_long_read(&lock->owner) & ~0x07L) != 0;
}

extern void mutex_lock(struct mutex *lock);
extern int __must_check mutex_lock_interruptible(struct mutex *lock);
extern int __must_check mutex_lock_killable(struct mutex *lock);
extern void mutex_lock_io(struct mutex *lock);
extern int mutex_trylock(struct mutex *lock);
extern void mutex_unlock(struct mutex *lock);
extern int atomic_dec_and_mutex_lock(atomic_t *cnt, struct mutex *lock);

#define mutex_lock_nested(lock, subclass)		mutex_lock(lock)
#define mutex_lock_interruptible_nested(lock, subclass)	mutex_lock_interruptible(lock)
#define mutex_lock_killable_nested(lock, subclass)	mutex_lock_killable(lock)
#define mutex_lock_nest_lock(lock, nest_lock)		mutex_lock(lock)
#define mutex_lock_io_nested(lock, subclass)		mutex_lock_io(lock)
#define mutex_trylock_recursive(lock)			mutex_trylock(lock)

#endif /* __LINUX_MUTEX_H */
