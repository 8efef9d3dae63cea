/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: rwlock_t, a spinning reader-writer lock (several readers or one writer), over the
 * sandbox's _raw_read_* and _raw_write_* exports.  Like spinlocks, it raises the preemption count
 * while held.  Written for lkm.
 */
#ifndef __LINUX_RWLOCK_H
#define __LINUX_RWLOCK_H

#include <linux/spinlock_types.h>
#include <linux/typecheck.h>

#define __LKM_RWLOCK_DECL(op)							\
extern void _raw_##op##_lock(rwlock_t *lock);					\
extern void _raw_##op##_unlock(rwlock_t *lock);					\
extern void _raw_##op##_lock_irq(rwlock_t *lock);				\
extern void _raw_##op##_unlock_irq(rwlock_t *lock);				\
extern unsigned long _raw_##op##_lock_irqsave(rwlock_t *lock);			\
extern void _raw_##op##_unlock_irqrestore(rwlock_t *lock, unsigned long flags);	\
extern void _raw_##op##_lock_bh(rwlock_t *lock);				\
extern void _raw_##op##_unlock_bh(rwlock_t *lock);				\
extern int _raw_##op##_trylock(rwlock_t *lock);
__LKM_RWLOCK_DECL(read)
__LKM_RWLOCK_DECL(write)

#define rwlock_init(lock)	do { *(lock) = __RW_LOCK_UNLOCKED(lock); } while (0)
#define rwlock_is_contended(lock)	((void)(lock), 0)

#define read_trylock(lock)	__cond_lock(lock, _raw_read_trylock(lock))
#define write_trylock(lock)	__cond_lock(lock, _raw_write_trylock(lock))
#define write_lock(lock)	_raw_write_lock(lock)
#define read_lock(lock)		_raw_read_lock(lock)
#define write_lock_nested(lock, subclass)	_raw_write_lock(lock)

#define read_lock_irqsave(lock, flags)				\
	do {							\
		typecheck(unsigned long, flags);		\
		flags = _raw_read_lock_irqsave(lock);		\
	} while (0)
#define write_lock_irqsave(lock, flags)				\
	do {							\
		typecheck(unsigned long, flags);		\
		flags = _raw_write_lock_irqsave(lock);		\
	} while (0)

#define read_lock_irq(lock)		_raw_read_lock_irq(lock)
#define read_lock_bh(lock)		_raw_read_lock_bh(lock)
#define write_lock_irq(lock)		_raw_write_lock_irq(lock)
#define write_lock_bh(lock)		_raw_write_lock_bh(lock)
#define read_unlock(lock)		_raw_read_unlock(lock)
#define write_unlock(lock)		_raw_write_unlock(lock)
#define read_unlock_irq(lock)		_raw_read_unlock_irq(lock)
#define write_unlock_irq(lock)		_raw_write_unlock_irq(lock)

#define read_unlock_irqrestore(lock, flags)			\
	do {							\
		typecheck(unsigned long, flags);		\
		_raw_read_unlock_irqrestore(lock, flags);	\
	} while (0)
#define read_unlock_bh(lock)		_raw_read_unlock_bh(lock)

#define write_unlock_irqrestore(lock, flags)			\
	do {							\
		typecheck(unsigned long, flags);		\
		_raw_write_unlock_irqrestore(lock, flags);	\
	} while (0)
#define write_unlock_bh(lock)		_raw_write_unlock_bh(lock)

#define write_trylock_irqsave(lock, flags)			\
({								\
	local_irq_save(flags);					\
	write_trylock(lock) ?					\
	1 : ({ local_irq_restore(flags); 0; });			\
})

#endif /* __LINUX_RWLOCK_H */
