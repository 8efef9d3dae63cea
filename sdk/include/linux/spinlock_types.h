/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: spinlock_t, raw_spinlock_t and rwlock_t (docs/SDK-ABI.md, "Locking"): one 32-bit word
 * each (rwlock_t: readers in bits 0-30, a writer in bit 31, then a spare word), zero when unlocked,
 * so a zeroed lock is an unlocked one as in Linux.  Written for lkm.
 */
#ifndef __LINUX_SPINLOCK_TYPES_H
#define __LINUX_SPINLOCK_TYPES_H

#include <linux/types.h>
#include <linux/lockdep_types.h>

typedef struct qspinlock {
	atomic_t val;
} arch_spinlock_t;

typedef struct qrwlock {
	atomic_t cnts;
	arch_spinlock_t wait_lock;
} arch_rwlock_t;

#define __ARCH_SPIN_LOCK_UNLOCKED	{ .val = ATOMIC_INIT(0) }
#define __ARCH_RW_LOCK_UNLOCKED		{ .cnts = ATOMIC_INIT(0), .wait_lock = __ARCH_SPIN_LOCK_UNLOCKED }

typedef struct raw_spinlock {
	arch_spinlock_t raw_lock;
} raw_spinlock_t;

#define __RAW_SPIN_LOCK_INITIALIZER(lockname)	{ .raw_lock = __ARCH_SPIN_LOCK_UNLOCKED }
#define __RAW_SPIN_LOCK_UNLOCKED(lockname)	\
	(raw_spinlock_t) __RAW_SPIN_LOCK_INITIALIZER(lockname)
#define DEFINE_RAW_SPINLOCK(x)	raw_spinlock_t x = __RAW_SPIN_LOCK_INITIALIZER(x)

typedef struct spinlock {
	union {
		struct raw_spinlock rlock;
	};
} spinlock_t;

#define ___SPIN_LOCK_INITIALIZER(lockname)	{ .raw_lock = __ARCH_SPIN_LOCK_UNLOCKED }
#define __SPIN_LOCK_INITIALIZER(lockname)	{ { .rlock = ___SPIN_LOCK_INITIALIZER(lockname) } }
#define __SPIN_LOCK_UNLOCKED(lockname)		(spinlock_t) __SPIN_LOCK_INITIALIZER(lockname)
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_INITIALIZER(x)

typedef struct {
	arch_rwlock_t raw_lock;
} rwlock_t;

#define __RW_LOCK_INITIALIZER(lockname)	{ .raw_lock = __ARCH_RW_LOCK_UNLOCKED }
#define __RW_LOCK_UNLOCKED(lockname)	(rwlock_t) __RW_LOCK_INITIALIZER(lockname)
#define DEFINE_RWLOCK(x)	rwlock_t x = __RW_LOCK_INITIALIZER(x)

#endif /* __LINUX_SPINLOCK_TYPES_H */
