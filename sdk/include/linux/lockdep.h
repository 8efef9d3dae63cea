/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: lockdep annotations; the sandbox has no lock validator, so they compile to nothing.
 * Written for lkm. */
#ifndef __LINUX_LOCKDEP_H
#define __LINUX_LOCKDEP_H

#include <linux/lockdep_types.h>

#define lockdep_init_map(lock, name, key, sub)		do { (void)(name); (void)(key); } while (0)
#define lockdep_set_class(lock, key)			do { (void)(key); } while (0)
#define lockdep_set_class_and_name(lock, key, name)	do { (void)(key); (void)(name); } while (0)
#define lockdep_set_class_and_subclass(lock, key, sub)	do { (void)(key); } while (0)
#define lockdep_set_subclass(lock, sub)			do { } while (0)
#define lockdep_set_novalidate_class(lock)		do { } while (0)
#define lockdep_register_key(key)			do { } while (0)
#define lockdep_unregister_key(key)			do { } while (0)
#define lockdep_off()					do { } while (0)
#define lockdep_on()					do { } while (0)
#define lockdep_is_held(lock)				1
#define lockdep_is_held_type(lock, r)			1
#define lockdep_assert(c)				do { } while (0)
#define lockdep_assert_once(c)				do { } while (0)
#define lockdep_assert_held(l)				do { (void)(l); } while (0)
#define lockdep_assert_not_held(l)			do { (void)(l); } while (0)
#define lockdep_assert_held_write(l)			do { (void)(l); } while (0)
#define lockdep_assert_held_read(l)			do { (void)(l); } while (0)
#define lockdep_assert_held_once(l)			do { (void)(l); } while (0)
#define lockdep_assert_none_held_once()			do { } while (0)
#define lockdep_assert_irqs_enabled()			do { } while (0)
#define lockdep_assert_irqs_disabled()			do { } while (0)
#define lockdep_assert_in_irq()				do { } while (0)
#define lockdep_assert_preemption_enabled()		do { } while (0)
#define lockdep_assert_preemption_disabled()		do { } while (0)
#define lockdep_assert_in_softirq()			do { } while (0)
#define lockdep_pin_lock(l)				((struct pin_cookie){ })
#define lockdep_repin_lock(l, c)			do { (void)(l); (void)(c); } while (0)
#define lockdep_unpin_lock(l, c)			do { (void)(l); (void)(c); } while (0)
#define might_lock(lock)				do { } while (0)
#define might_lock_read(lock)				do { } while (0)
#define might_lock_nested(lock, subclass)		do { } while (0)
#define debug_show_all_locks()				do { } while (0)
#define debug_check_no_locks_held()			do { } while (0)
#define lock_acquire(l, s, t, r, c, n, i)		do { } while (0)
#define lock_release(l, i)				do { } while (0)

struct pin_cookie { };

#endif /* __LINUX_LOCKDEP_H */
