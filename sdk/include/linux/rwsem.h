/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: struct rw_semaphore (docs/SDK-ABI.md, "Locking"): Linux 6.12's layout; count holds
 * readers * 256 | waiters (bit 1) | writer (bit 0).  Sleeping readers and writers are served in
 * arrival order (consecutive readers together).  Written for lkm.
 */
#ifndef _LINUX_RWSEM_H
#define _LINUX_RWSEM_H

#include <linux/list.h>
#include <linux/spinlock_types.h>
#include <linux/atomic.h>
#include <linux/lockdep.h>
#include <linux/osq_lock.h>

struct rw_semaphore {
	atomic_long_t count;
	atomic_long_t owner;
	struct optimistic_spin_queue osq;
	raw_spinlock_t wait_lock;
	struct list_head wait_list;
};

#define RWSEM_UNLOCKED_VALUE		0UL
#define __RWSEM_COUNT_INIT(name)	.count = ATOMIC_LONG_INIT(RWSEM_UNLOCKED_VALUE)

#define __RWSEM_INITIALIZER(name)				\
	{ __RWSEM_COUNT_INIT(name),				\
	  .owner = ATOMIC_LONG_INIT(0),				\
	  .osq = OSQ_LOCK_UNLOCKED,				\
	  .wait_lock = __RAW_SPIN_LOCK_INITIALIZER(name.wait_lock),	\
	  .wait_list = LIST_HEAD_INIT((name).wait_list) }

#define DECLARE_RWSEM(name) \
	struct rw_semaphore name = __RWSEM_INITIALIZER(name)

extern void __init_rwsem(struct rw_semaphore *sem, const char *name,
			 struct lock_class_key *key);

#define init_rwsem(sem)						\
do {								\
	static struct lock_class_key __key;			\
								\
	__init_rwsem((sem), #sem, &__key);			\
} while (0)

static inline int rwsem_is_locked(struct rw_semaphore *sem)
{
	return atomic_long_read(&sem->count) != RWSEM_UNLOCKED_VALUE;
}
static inline int rwsem_is_contended(struct rw_semaphore *sem)
{
	return (atomic_long_read(&sem->count) & 2) != 0;
}
#define rwsem_assert_held(sem)		do { (void)(sem); } while (0)
#define rwsem_assert_held_write(sem)	do { (void)(sem); } while (0)

extern void down_read(struct rw_semaphore *sem);
extern int __must_check down_read_interruptible(struct rw_semaphore *sem);
extern int __must_check down_read_killable(struct rw_semaphore *sem);
extern int down_read_trylock(struct rw_semaphore *sem);
extern void down_write(struct rw_semaphore *sem);
extern int __must_check down_write_killable(struct rw_semaphore *sem);
extern int down_write_trylock(struct rw_semaphore *sem);
extern void up_read(struct rw_semaphore *sem);
extern void up_write(struct rw_semaphore *sem);
extern void downgrade_write(struct rw_semaphore *sem);

#define down_read_nested(sem, subclass)		down_read(sem)
#define down_read_killable_nested(sem, subclass)	down_read_killable(sem)
#define down_write_nest_lock(sem, nest_lock)	down_write(sem)
#define down_write_nested(sem, subclass)	down_write(sem)
#define down_write_killable_nested(sem, subclass)	down_write_killable(sem)
#define down_read_non_owner(sem)		down_read(sem)
#define up_read_non_owner(sem)			up_read(sem)

#endif /* _LINUX_RWSEM_H */
