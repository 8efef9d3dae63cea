/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: RCU basics.  rcu_read_lock() marks a read-side section (per-thread nesting, counted by
 * the kernel); synchronize_rcu() waits for a grace period (every reader inside a section when it
 * began has left); call_rcu() and kfree_rcu() run their callback or free after a grace period on
 * the kernel's RCU thread.  A module that queues callbacks calls rcu_barrier() in its exit, as in
 * Linux.  Sleeping inside a read-side section is reported like sleeping under a spinlock.
 * Written for lkm.
 */
#ifndef __LINUX_RCUPDATE_H
#define __LINUX_RCUPDATE_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/atomic.h>
#include <linux/preempt.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <asm/barrier.h>

extern void __rcu_read_lock(void);
extern void __rcu_read_unlock(void);
extern int __lkm_rcu_read_depth(void);
extern void synchronize_rcu(void);
extern void synchronize_rcu_expedited(void);
extern void rcu_barrier(void);
extern void call_rcu(struct rcu_head *head, rcu_callback_t func);
extern void kvfree_call_rcu(struct rcu_head *head, void *ptr);

#define rcu_preempt_depth()	__lkm_rcu_read_depth()

static __always_inline void rcu_read_lock(void)
{
	__rcu_read_lock();
}
static inline void rcu_read_unlock(void)
{
	__rcu_read_unlock();
}
/* The bh and sched flavours: their own context change, and (as since Linux 5.0) the same grace
 * periods. */
static inline void rcu_read_lock_bh(void)
{
	preempt_count_add(SOFTIRQ_DISABLE_OFFSET);
	__rcu_read_lock();
}
static inline void rcu_read_unlock_bh(void)
{
	__rcu_read_unlock();
	preempt_count_sub(SOFTIRQ_DISABLE_OFFSET);
}
static inline void rcu_read_lock_sched(void)
{
	preempt_disable();
	__rcu_read_lock();
}
static inline void rcu_read_unlock_sched(void)
{
	__rcu_read_unlock();
	preempt_enable();
}
#define rcu_read_lock_sched_notrace()	rcu_read_lock_sched()
#define rcu_read_unlock_sched_notrace()	rcu_read_unlock_sched()

static inline int rcu_read_lock_held(void) { return __lkm_rcu_read_depth() > 0; }
static inline int rcu_read_lock_bh_held(void) { return rcu_read_lock_held(); }
static inline int rcu_read_lock_sched_held(void) { return rcu_read_lock_held() || !preemptible(); }
static inline int rcu_read_lock_any_held(void) { return rcu_read_lock_sched_held(); }

#define synchronize_rcu_bh()		synchronize_rcu()
#define synchronize_sched()		synchronize_rcu()
#define synchronize_rcu_mult(...)	synchronize_rcu()
#define call_rcu_hurry(head, func)	call_rcu(head, func)
#define rcu_barrier_bh()		rcu_barrier()
#define rcu_barrier_sched()		rcu_barrier()
#define cond_synchronize_rcu(s)		synchronize_rcu()

#define RCU_INITIALIZER(v)	(typeof(*(v)) __force __rcu *)(v)
#define rcu_check_sparse(p, space)

#define rcu_access_pointer(p)		READ_ONCE(p)
#define rcu_dereference_raw(p)		READ_ONCE(p)
#define rcu_dereference_check(p, c)	READ_ONCE(p)
#define rcu_dereference_bh_check(p, c)	READ_ONCE(p)
#define rcu_dereference_sched_check(p, c)	READ_ONCE(p)
#define rcu_dereference_protected(p, c)	(p)
#define rcu_dereference(p)		rcu_dereference_check(p, 0)
#define rcu_dereference_bh(p)		rcu_dereference_bh_check(p, 0)
#define rcu_dereference_sched(p)	rcu_dereference_sched_check(p, 0)
#define rcu_dereference_raw_check(p)	READ_ONCE(p)
#define rcu_pointer_handoff(p)		(p)

#define rcu_assign_pointer(p, v)					\
do {									\
	uintptr_t _r_a_p__v = (uintptr_t)(v);				\
									\
	if (__builtin_constant_p(v) && (_r_a_p__v) == (uintptr_t)NULL)	\
		WRITE_ONCE((p), (typeof(p))(_r_a_p__v));		\
	else								\
		smp_store_release(&p, RCU_INITIALIZER((typeof(p))_r_a_p__v)); \
} while (0)

#define RCU_INIT_POINTER(p, v)						\
	do {								\
		WRITE_ONCE(p, RCU_INITIALIZER(v));			\
	} while (0)
#define RCU_POINTER_INITIALIZER(p, v)	.p = RCU_INITIALIZER(v)

#define rcu_replace_pointer(rcu_ptr, ptr, c)				\
({									\
	typeof(ptr) __tmp = rcu_dereference_protected((rcu_ptr), (c));	\
	rcu_assign_pointer((rcu_ptr), (ptr));				\
	__tmp;								\
})

#define init_rcu_head(head)		do { } while (0)
#define destroy_rcu_head(head)		do { } while (0)
#define init_rcu_head_on_stack(head)	do { } while (0)
#define destroy_rcu_head_on_stack(head)	do { } while (0)
#define rcu_head_init(rhp)		((rhp)->func = (typeof((rhp)->func))(void *)~0L)

/* kfree_rcu(ptr, rhf): kfree(ptr) after a grace period; rhf names ptr's struct rcu_head member.
 * kfree_rcu_mightsleep(ptr): without a head, waits for the grace period in place. */
#define kvfree_rcu_arg_2(ptr, rhf)					\
do {									\
	typeof (ptr) ___p = (ptr);					\
									\
	if (___p) {							\
		BUILD_BUG_ON(offsetof(typeof(*(ptr)), rhf) >= 4096);	\
		kvfree_call_rcu(&((___p)->rhf), (void *) (___p));	\
	}								\
} while (0)

#define kvfree_rcu_arg_1(ptr)						\
do {									\
	typeof(ptr) ___p = (ptr);					\
									\
	if (___p)							\
		kvfree_call_rcu(NULL, (void *) (___p));			\
} while (0)

#define kfree_rcu(ptr, rhf)		kvfree_rcu_arg_2(ptr, rhf)
#define kvfree_rcu(ptr, rhf)		kvfree_rcu_arg_2(ptr, rhf)
#define kfree_rcu_mightsleep(ptr)	kvfree_rcu_arg_1(ptr)
#define kvfree_rcu_mightsleep(ptr)	kvfree_rcu_arg_1(ptr)

#endif /* __LINUX_RCUPDATE_H */
