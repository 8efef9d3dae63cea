/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: spinlocks, Linux 6.12's API over the sandbox's exports (_raw_spin_lock and friends,
 * crates/sandbox/csrc/sync.c).  A spinlock spins on its word; while it is held the preemption
 * count is raised (and, for the _bh variants, softirqs are disabled), so in_atomic() is true and
 * sleeping under it is reported.  Written for lkm.
 */
#ifndef __LINUX_SPINLOCK_H
#define __LINUX_SPINLOCK_H

#include <linux/typecheck.h>
#include <linux/preempt.h>
#include <linux/linkage.h>
#include <linux/compiler.h>
#include <linux/irqflags.h>
#include <linux/bug.h>
#include <linux/atomic.h>
#include <linux/lockdep.h>
#include <linux/spinlock_types.h>
#include <asm/barrier.h>

extern void _raw_spin_lock(raw_spinlock_t *lock);
extern void _raw_spin_unlock(raw_spinlock_t *lock);
extern void _raw_spin_lock_irq(raw_spinlock_t *lock);
extern void _raw_spin_unlock_irq(raw_spinlock_t *lock);
extern unsigned long _raw_spin_lock_irqsave(raw_spinlock_t *lock);
extern void _raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags);
extern void _raw_spin_lock_bh(raw_spinlock_t *lock);
extern void _raw_spin_unlock_bh(raw_spinlock_t *lock);
extern int _raw_spin_trylock(raw_spinlock_t *lock);
extern int _raw_spin_trylock_bh(raw_spinlock_t *lock);

#define raw_spin_lock_init(lock)					\
	do { *(lock) = __RAW_SPIN_LOCK_UNLOCKED(lock); } while (0)
#define raw_spin_is_locked(lock)	(atomic_read(&(lock)->raw_lock.val) != 0)
#define raw_spin_is_contended(lock)	(((void)(lock), 0))

#define raw_spin_lock(lock)		_raw_spin_lock(lock)
#define raw_spin_lock_nested(lock, subclass)	_raw_spin_lock(((void)(subclass), (lock)))
#define raw_spin_lock_nest_lock(lock, nest_lock)	_raw_spin_lock(lock)
#define raw_spin_unlock(lock)		_raw_spin_unlock(lock)
#define raw_spin_lock_irq(lock)		_raw_spin_lock_irq(lock)
#define raw_spin_unlock_irq(lock)	_raw_spin_unlock_irq(lock)
#define raw_spin_lock_bh(lock)		_raw_spin_lock_bh(lock)
#define raw_spin_unlock_bh(lock)	_raw_spin_unlock_bh(lock)
#define raw_spin_trylock(lock)		__cond_lock(lock, _raw_spin_trylock(lock))
#define raw_spin_trylock_bh(lock)	__cond_lock(lock, _raw_spin_trylock_bh(lock))
#define raw_spin_lock_irqsave(lock, flags)				\
	do {								\
		typecheck(unsigned long, flags);			\
		flags = _raw_spin_lock_irqsave(lock);			\
	} while (0)
#define raw_spin_lock_irqsave_nested(lock, flags, subclass)		\
	raw_spin_lock_irqsave(lock, flags)
#define raw_spin_unlock_irqrestore(lock, flags)				\
	do {								\
		typecheck(unsigned long, flags);			\
		_raw_spin_unlock_irqrestore(lock, flags);		\
	} while (0)
#define raw_spin_trylock_irq(lock)					\
({									\
	local_irq_disable();						\
	raw_spin_trylock(lock) ? 1 : ({ local_irq_enable(); 0; });	\
})
#define raw_spin_trylock_irqsave(lock, flags)				\
({									\
	local_irq_save(flags);						\
	raw_spin_trylock(lock) ? 1 : ({ local_irq_restore(flags); 0; }); \
})

/* The spinlock_t API. */
static __always_inline raw_spinlock_t *spinlock_check(spinlock_t *lock)
{
	return &lock->rlock;
}

#define spin_lock_init(_lock)				\
do {							\
	spinlock_check(_lock);				\
	*(_lock) = __SPIN_LOCK_UNLOCKED(_lock);		\
} while (0)

static __always_inline void spin_lock(spinlock_t *lock) { raw_spin_lock(&lock->rlock); }
static __always_inline void spin_lock_bh(spinlock_t *lock) { raw_spin_lock_bh(&lock->rlock); }
static __always_inline int spin_trylock(spinlock_t *lock) { return raw_spin_trylock(&lock->rlock); }
static __always_inline void spin_lock_irq(spinlock_t *lock) { raw_spin_lock_irq(&lock->rlock); }
static __always_inline void spin_unlock(spinlock_t *lock) { raw_spin_unlock(&lock->rlock); }
static __always_inline void spin_unlock_bh(spinlock_t *lock) { raw_spin_unlock_bh(&lock->rlock); }
static __always_inline void spin_unlock_irq(spinlock_t *lock) { raw_spin_unlock_irq(&lock->rlock); }
static __always_inline void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	raw_spin_unlock_irqrestore(&lock->rlock, flags);
}
static __always_inline int spin_trylock_bh(spinlock_t *lock) { return raw_spin_trylock_bh(&lock->rlock); }
static __always_inline int spin_trylock_irq(spinlock_t *lock) { return raw_spin_trylock_irq(&lock->rlock); }
static __always_inline int spin_is_locked(spinlock_t *lock) { return raw_spin_is_locked(&lock->rlock); }
static __always_inline int spin_is_contended(spinlock_t *lock) { return raw_spin_is_contended(&lock->rlock); }

#define spin_lock_nested(lock, subclass)	raw_spin_lock_nested(spinlock_check(lock), subclass)
#define spin_lock_nest_lock(lock, nest_lock)	raw_spin_lock(spinlock_check(lock))
#define spin_lock_irqsave(lock, flags)				\
do {								\
	raw_spin_lock_irqsave(spinlock_check(lock), flags);	\
} while (0)
#define spin_lock_irqsave_nested(lock, flags, subclass)		\
	spin_lock_irqsave(lock, flags)
#define spin_trylock_irqsave(lock, flags)			\
({								\
	raw_spin_trylock_irqsave(spinlock_check(lock), flags);	\
})

#define assert_raw_spin_locked(x)	BUG_ON(!raw_spin_is_locked(x))
#define assert_spin_locked(lock)	assert_raw_spin_locked(&(lock)->rlock)

#define smp_mb__after_spinlock()	do { } while (0)
#define spin_needbreak(lock)		((void)(lock), 0)
#define rwlock_needbreak(lock)		((void)(lock), 0)

/* Decrements @atomic and, if it drops to 0, returns true with @lock held. */
static inline int atomic_dec_and_lock(atomic_t *atomic, spinlock_t *lock)
{
	if (atomic_add_unless(atomic, -1, 1))
		return 0;
	spin_lock(lock);
	if (atomic_dec_and_test(atomic))
		return 1;
	spin_unlock(lock);
	return 0;
}
#define _atomic_dec_and_lock(a, l)	atomic_dec_and_lock(a, l)
static inline int atomic_dec_and_lock_irqsave_fn(atomic_t *atomic, spinlock_t *lock,
						 unsigned long *flags)
{
	unsigned long f;
	if (atomic_add_unless(atomic, -1, 1))
		return 0;
	spin_lock_irqsave(lock, f);
	if (atomic_dec_and_test(atomic)) {
		*flags = f;
		return 1;
	}
	spin_unlock_irqrestore(lock, f);
	return 0;
}
#define atomic_dec_and_lock_irqsave(atomic, lock, flags) \
	atomic_dec_and_lock_irqsave_fn(atomic, lock, &(flags))

#include <linux/rwlock.h>

#endif /* __LINUX_SPINLOCK_H */
