// SPDX-License-Identifier: GPL-2.0
/* Every lock, atomic and wait primitive used from one context; each result is logged as
 * "sync_single: <what>=<value>" for the test to compare. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/refcount.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/rwsem.h>
#include <linux/semaphore.h>
#include <linux/completion.h>
#include <linux/wait.h>
#include <linux/sched.h>
#include <linux/rcupdate.h>
#include <linux/hardirq.h>
#include <linux/jiffies.h>

#define say(what, fmt, ...) pr_info("sync_single: " what "=" fmt "\n", ##__VA_ARGS__)

static DEFINE_MUTEX(m);
static DEFINE_SPINLOCK(sl);
static DEFINE_RWLOCK(rwl);
static DECLARE_RWSEM(rws);
static DEFINE_SEMAPHORE(sem, 2);
static DECLARE_COMPLETION(done);
static DECLARE_WAIT_QUEUE_HEAD(wq);
static int flag;

struct obj {
	int value;
	struct rcu_head rcu;
};
static struct obj the_obj = { .value = 7 };
static struct obj __rcu *gp;
static int rcu_seen;
static DECLARE_COMPLETION(rcu_done);

static void obj_free(struct rcu_head *head)
{
	struct obj *o = container_of(head, struct obj, rcu);
	rcu_seen = o->value + (in_softirq() ? 100 : 0);
	complete(&rcu_done);
}

static int __init sync_single_init(void)
{
	atomic_t a = ATOMIC_INIT(5);
	atomic64_t a64 = ATOMIC64_INIT(1LL << 40);
	atomic_long_t al = ATOMIC_LONG_INIT(-3);
	DECLARE_BITMAP(bm, 130) = { 0 };
	refcount_t rc = REFCOUNT_INIT(1);
	struct mutex dm;
	unsigned long flags;
	DEFINE_WAIT(w);
	struct obj *p;
	long r;

	/* atomics */
	say("atomic_inc_return", "%d", atomic_inc_return(&a));
	say("atomic_fetch_add", "%d", atomic_fetch_add(10, &a));
	say("atomic_read", "%d", atomic_read(&a));
	say("atomic_cmpxchg", "%d", atomic_cmpxchg(&a, 16, 1));
	say("atomic_xchg", "%d", atomic_xchg(&a, 0));
	say("atomic_add_unless", "%d", atomic_add_unless(&a, 1, 0));
	say("atomic_inc_not_zero", "%d", atomic_inc_not_zero(&a));
	atomic_set(&a, 1);
	say("atomic_dec_and_test", "%d", atomic_dec_and_test(&a));
	say("atomic_dec_if_positive", "%d", atomic_dec_if_positive(&a));
	say("atomic64_add_return", "%lld", atomic64_add_return(1, &a64));
	say("atomic_long_sub_return", "%ld", atomic_long_sub_return(2, &al));
	say("atomic_long_fetch_or", "%ld", atomic_long_fetch_or(0x100, &al));

	/* bitops */
	set_bit(3, bm);
	set_bit(64, bm);
	__set_bit(129, bm);
	say("test_and_set_bit", "%d", test_and_set_bit(3, bm));
	say("test_and_clear_bit", "%d", test_and_clear_bit(5, bm));
	say("test_bit", "%d%d", test_bit(64, bm), test_bit(65, bm));
	say("find_first_bit", "%lu", find_first_bit(bm, 130));
	say("find_next_bit", "%lu", find_next_bit(bm, 130, 4));
	say("find_next_bit_end", "%lu", find_next_bit(bm, 129, 65));
	say("find_first_zero_bit", "%lu", find_first_zero_bit(bm, 130));
	clear_bit(3, bm);
	say("find_first_bit_after_clear", "%lu", find_first_bit(bm, 130));
	say("hweight64", "%lu", hweight64(0xf0f0ULL));
	say("fls", "%d", fls(0x80));
	say("__ffs", "%lu", __ffs(0x100UL));

	/* mutex */
	mutex_lock(&m);
	say("mutex_is_locked", "%d", mutex_is_locked(&m));
	say("mutex_trylock_held", "%d", mutex_trylock(&m));
	mutex_unlock(&m);
	say("mutex_is_locked_after_unlock", "%d", mutex_is_locked(&m));
	say("mutex_trylock_free", "%d", mutex_trylock(&m));
	mutex_unlock(&m);
	mutex_init(&dm);
	say("mutex_lock_interruptible", "%d", mutex_lock_interruptible(&dm));
	mutex_unlock(&dm);
	mutex_destroy(&dm);

	/* spinlocks */
	say("in_atomic_before", "%d", in_atomic() ? 1 : 0);
	spin_lock(&sl);
	say("in_atomic_under_spin_lock", "%d", in_atomic() ? 1 : 0);
	say("spin_is_locked", "%d", spin_is_locked(&sl));
	say("spin_trylock_held", "%d", spin_trylock(&sl));
	assert_spin_locked(&sl);
	spin_unlock(&sl);
	say("in_atomic_after", "%d", in_atomic() ? 1 : 0);
	spin_lock_bh(&sl);
	say("preempt_count_under_spin_lock_bh", "%#x", preempt_count());
	spin_unlock_bh(&sl);
	spin_lock_irqsave(&sl, flags);
	say("irqs_disabled_under_irqsave", "%d", irqs_disabled() ? 1 : 0);
	spin_unlock_irqrestore(&sl, flags);
	say("irqs_disabled_after_restore", "%d", irqs_disabled() ? 1 : 0);
	say("spin_trylock_free", "%d", spin_trylock(&sl));
	spin_unlock(&sl);

	/* rwlock_t */
	read_lock(&rwl);
	read_lock(&rwl);
	say("write_trylock_with_readers", "%d", write_trylock(&rwl));
	read_unlock(&rwl);
	read_unlock(&rwl);
	say("write_trylock_free", "%d", write_trylock(&rwl));
	say("read_trylock_with_writer", "%d", read_trylock(&rwl));
	write_unlock(&rwl);

	/* rw_semaphore */
	down_read(&rws);
	say("down_read_trylock_shared", "%d", down_read_trylock(&rws));
	say("down_write_trylock_with_readers", "%d", down_write_trylock(&rws));
	up_read(&rws);
	up_read(&rws);
	say("down_write_trylock_free", "%d", down_write_trylock(&rws));
	say("rwsem_is_locked", "%d", rwsem_is_locked(&rws));
	up_write(&rws);
	down_write(&rws);
	downgrade_write(&rws);
	say("down_read_trylock_after_downgrade", "%d", down_read_trylock(&rws));
	up_read(&rws);
	up_read(&rws);
	say("rwsem_is_locked_after", "%d", rwsem_is_locked(&rws));

	/* semaphore */
	say("down_trylock_1", "%d", down_trylock(&sem));
	say("down_interruptible_2", "%d", down_interruptible(&sem));
	say("down_trylock_3", "%d", down_trylock(&sem));
	say("down_timeout_empty", "%d", down_timeout(&sem, 2));
	up(&sem);
	say("down_timeout_after_up", "%d", down_timeout(&sem, 2));
	up(&sem);
	up(&sem);
	say("semaphore_count", "%u", sem.count);

	/* completion */
	say("completion_done_initially", "%d", completion_done(&done));
	say("try_wait_for_completion_initially", "%d", try_wait_for_completion(&done));
	complete(&done);
	say("completion_done_after_complete", "%d", completion_done(&done));
	say("wait_for_completion_timeout_done", "%lu", wait_for_completion_timeout(&done, 10));
	say("wait_for_completion_timeout_again", "%lu", wait_for_completion_timeout(&done, 2));
	complete_all(&done);
	wait_for_completion(&done);
	say("completion_done_after_complete_all", "%d", completion_done(&done));
	reinit_completion(&done);
	say("wait_for_completion_interruptible_timeout_none", "%ld",
	    wait_for_completion_interruptible_timeout(&done, 1));

	/* wait queues */
	say("waitqueue_active_empty", "%d", waitqueue_active(&wq));
	r = wait_event_timeout(wq, flag, 5);
	say("wait_event_timeout_expired", "%ld", r);
	flag = 1;
	r = wait_event_timeout(wq, flag, 5);
	say("wait_event_timeout_true", "%ld", r);
	r = wait_event_interruptible(wq, flag);
	say("wait_event_interruptible_true", "%ld", r);
	prepare_to_wait(&wq, &w, TASK_INTERRUPTIBLE);
	say("waitqueue_active_prepared", "%d", waitqueue_active(&wq));
	say("state_prepared", "%u", READ_ONCE(current->__state));
	wake_up(&wq);
	say("state_after_wake_up", "%u", READ_ONCE(current->__state));
	say("waitqueue_active_after_wake_up", "%d", waitqueue_active(&wq));
	finish_wait(&wq, &w);

	/* refcount_t */
	refcount_inc(&rc);
	say("refcount_read", "%u", refcount_read(&rc));
	say("refcount_dec_and_test_2", "%d", refcount_dec_and_test(&rc));
	say("refcount_dec_and_test_1", "%d", refcount_dec_and_test(&rc));
	say("refcount_dec_and_test_0", "%d", refcount_dec_and_test(&rc));
	say("refcount_saturated", "%d", refcount_read(&rc) == REFCOUNT_SATURATED);

	/* RCU */
	rcu_read_lock();
	say("rcu_read_lock_held", "%d", rcu_read_lock_held());
	rcu_read_unlock();
	say("rcu_read_lock_held_after", "%d", rcu_read_lock_held());
	rcu_assign_pointer(gp, &the_obj);
	rcu_read_lock();
	p = rcu_dereference(gp);
	say("rcu_dereference", "%d", p->value);
	rcu_read_unlock();
	RCU_INIT_POINTER(gp, NULL);
	synchronize_rcu();
	call_rcu(&the_obj.rcu, obj_free);
	say("call_rcu_ran", "%d", wait_for_completion_timeout(&rcu_done, HZ) > 0);
	say("call_rcu_callback", "%d", rcu_seen);
	return 0;
}

static void __exit sync_single_exit(void)
{
	rcu_barrier();
}

module_init(sync_single_init);
module_exit(sync_single_exit);
MODULE_LICENSE("GPL");
