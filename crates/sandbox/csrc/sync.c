/*
 * Locking primitives of the sandbox kernel (crates/sandbox/src/services/sync.rs has the rest).
 *
 * Every lock keeps its state in the module's own struct (so static initialisers such as
 * DEFINE_MUTEX work): an atomic word, and an internal spinning `wait_lock` word that serialises the
 * slow paths. Those words live in module memory, so they are touched here, in C, and never from
 * Rust: a bad lock pointer faults in a C frame called from module code, and the guard's siglongjmp
 * skips only C and module frames, as the rest of the C edge does (entry.c). Each entry point touches
 * the lock before taking anything host-side, so a fault never leaves host state half-changed.
 *
 * Blocking uses the task protocol of crate::sched through small Rust helpers (lkm_park_*): a
 * host-side FIFO queue per lock address. Handing a lock over = taking the first waiter off the queue
 * (under the lock's wait_lock) and waking it; a woken waiter that is no longer queued owns what it
 * waited for. So mutexes, semaphores and rw-semaphores are granted in arrival order.
 *
 * Wait queues (wait_queue_head_t) are Linux's: entries live in module memory on a list under the
 * head's spinlock, and wake-ups call each entry's function, as kernel/sched/wait.c does.
 */
#include <sched.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Rust side (services/sync.rs) ---- */
extern uint64_t lkm_sync_current(void);
extern void lkm_sync_preempt_add(int n);
extern void lkm_sync_preempt_sub(int n);
extern void lkm_sync_might_sleep(const char *file, int line);
extern void lkm_park_enqueue(uint64_t key, unsigned int state, unsigned int tag);
extern long lkm_park_sleep(long timeout);
extern int lkm_park_queued(uint64_t key);
extern void lkm_park_cancel(uint64_t key);
extern uint64_t lkm_park_pop(uint64_t key);
extern int lkm_park_front_tag(uint64_t key);
extern uint64_t lkm_park_len(uint64_t key);
extern void lkm_park_wake(uint64_t task);
extern int lkm_signal_pending_state(unsigned int state);
extern void lkm_set_current_state(unsigned int state);
extern int lkm_try_to_wake_up(uint64_t task, unsigned int state);
extern void __lkm_warn(const char *file, int line, const char *fmt, ...);

#define TASK_RUNNING 0x0000
#define TASK_INTERRUPTIBLE 0x0001
#define TASK_UNINTERRUPTIBLE 0x0002
#define TASK_WAKEKILL 0x0100
#define TASK_KILLABLE (TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_NORMAL (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)
#define MAX_SCHEDULE_TIMEOUT 0x7fffffffffffffffL

#define EINTR 4
#define ETIME 62
#define ERESTARTSYS 512

#define PREEMPT_OFFSET 1
#define SOFTIRQ_LOCK_OFFSET (2 * 256 + PREEMPT_OFFSET) /* SOFTIRQ_DISABLE_OFFSET + PREEMPT_OFFSET */
#define X86_EFLAGS_IF 0x200UL

/* ---- layouts (docs/SDK-ABI.md, "Locking") ---- */
struct list_head {
	struct list_head *next, *prev;
};
typedef struct {
	unsigned int val;
} raw_spinlock_t; /* = spinlock_t */
typedef struct {
	unsigned int cnts;
	unsigned int __pad;
} rwlock_t;
struct mutex {
	unsigned long owner;
	raw_spinlock_t wait_lock;
	unsigned int __pad;
	struct list_head wait_list;
};
struct semaphore {
	raw_spinlock_t lock;
	unsigned int count;
	struct list_head wait_list;
};
struct rw_semaphore {
	long count;
	unsigned long owner;
	unsigned int __osq;
	raw_spinlock_t wait_lock;
	struct list_head wait_list;
};
struct swait_queue_head {
	raw_spinlock_t lock;
	struct list_head task_list;
};
struct completion {
	unsigned int done;
	struct swait_queue_head wait;
};
struct wait_queue_entry;
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry, unsigned int mode, int flags,
				 void *key);
struct wait_queue_entry {
	unsigned int flags;
	void *private;
	wait_queue_func_t func;
	struct list_head entry;
};
struct wait_queue_head {
	raw_spinlock_t lock;
	struct list_head head;
};
#define WQ_FLAG_EXCLUSIVE 0x01
#define WQ_FLAG_WOKEN 0x02

_Static_assert(sizeof(struct mutex) == 32, "struct mutex");
_Static_assert(sizeof(struct semaphore) == 24, "struct semaphore");
_Static_assert(sizeof(struct rw_semaphore) == 40, "struct rw_semaphore");
_Static_assert(sizeof(struct completion) == 32, "struct completion");
_Static_assert(sizeof(struct wait_queue_entry) == 40, "struct wait_queue_entry");
_Static_assert(sizeof(struct wait_queue_head) == 24, "struct wait_queue_head");

/* ---- interrupt flags: per thread (the sandbox has no hard interrupts; this is bookkeeping) ---- */
static __thread int irqs_off;

int lkm_irqs_disabled(void)
{
	return irqs_off;
}
/* The guard restores the state a guarded call began with after an oops (src/guard.rs). */
void lkm_irqs_set_disabled(int off)
{
	irqs_off = off;
}
unsigned long __lkm_irq_save(void)
{
	unsigned long flags = irqs_off ? 0 : X86_EFLAGS_IF;
	irqs_off = 1;
	return flags;
}
void __lkm_irq_restore(unsigned long flags)
{
	irqs_off = !(flags & X86_EFLAGS_IF);
}
unsigned long __lkm_save_flags(void)
{
	return irqs_off ? 0 : X86_EFLAGS_IF;
}
void __lkm_irq_disable(void)
{
	irqs_off = 1;
}
void __lkm_irq_enable(void)
{
	irqs_off = 0;
}

/* ---- the spinning word ---- */
static inline void cpu_relax(unsigned int *spins)
{
	__builtin_ia32_pause();
	/* Host threads can be descheduled while holding a lock: let the holder run. */
	if (++*spins >= 256) {
		*spins = 0;
		sched_yield();
	}
}

static inline int word_trylock(unsigned int *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED) == 0 &&
	       !__atomic_exchange_n(w, 1, __ATOMIC_ACQUIRE);
}

static inline void word_lock(unsigned int *w)
{
	unsigned int spins = 0;
	while (__atomic_exchange_n(w, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(w, __ATOMIC_RELAXED))
			cpu_relax(&spins);
}

static inline void word_unlock(unsigned int *w)
{
	__atomic_store_n(w, 0, __ATOMIC_RELEASE);
}

/* Touch a lock word with a locked no-op write before anything else, so that a bad or read-only
 * lock pointer faults here, with nothing held. */
#define TOUCH(p) ((void)__atomic_fetch_add((p), 0, __ATOMIC_RELAXED))

/* ---- spinlock_t / raw_spinlock_t ---- */
void _raw_spin_lock(raw_spinlock_t *l)
{
	TOUCH(&l->val);
	lkm_sync_preempt_add(PREEMPT_OFFSET);
	word_lock(&l->val);
}
void _raw_spin_unlock(raw_spinlock_t *l)
{
	word_unlock(&l->val);
	lkm_sync_preempt_sub(PREEMPT_OFFSET);
}
void _raw_spin_lock_irq(raw_spinlock_t *l)
{
	TOUCH(&l->val);
	__lkm_irq_disable();
	lkm_sync_preempt_add(PREEMPT_OFFSET);
	word_lock(&l->val);
}
void _raw_spin_unlock_irq(raw_spinlock_t *l)
{
	word_unlock(&l->val);
	__lkm_irq_enable();
	lkm_sync_preempt_sub(PREEMPT_OFFSET);
}
unsigned long _raw_spin_lock_irqsave(raw_spinlock_t *l)
{
	unsigned long flags;
	TOUCH(&l->val);
	flags = __lkm_irq_save();
	lkm_sync_preempt_add(PREEMPT_OFFSET);
	word_lock(&l->val);
	return flags;
}
void _raw_spin_unlock_irqrestore(raw_spinlock_t *l, unsigned long flags)
{
	word_unlock(&l->val);
	__lkm_irq_restore(flags);
	lkm_sync_preempt_sub(PREEMPT_OFFSET);
}
void _raw_spin_lock_bh(raw_spinlock_t *l)
{
	TOUCH(&l->val);
	lkm_sync_preempt_add(SOFTIRQ_LOCK_OFFSET);
	word_lock(&l->val);
}
void _raw_spin_unlock_bh(raw_spinlock_t *l)
{
	word_unlock(&l->val);
	lkm_sync_preempt_sub(SOFTIRQ_LOCK_OFFSET);
}
int _raw_spin_trylock(raw_spinlock_t *l)
{
	TOUCH(&l->val);
	lkm_sync_preempt_add(PREEMPT_OFFSET);
	if (word_trylock(&l->val))
		return 1;
	lkm_sync_preempt_sub(PREEMPT_OFFSET);
	return 0;
}
int _raw_spin_trylock_bh(raw_spinlock_t *l)
{
	TOUCH(&l->val);
	lkm_sync_preempt_add(SOFTIRQ_LOCK_OFFSET);
	if (word_trylock(&l->val))
		return 1;
	lkm_sync_preempt_sub(SOFTIRQ_LOCK_OFFSET);
	return 0;
}

/* ---- rwlock_t: readers in bits 0-30, a writer in bit 31 ---- */
#define RW_WRITER 0x80000000u

static void rw_read_acquire(rwlock_t *l)
{
	unsigned int spins = 0;
	for (;;) {
		unsigned int v = __atomic_load_n(&l->cnts, __ATOMIC_RELAXED);
		if (!(v & RW_WRITER) && __atomic_compare_exchange_n(&l->cnts, &v, v + 1, 0,
								     __ATOMIC_ACQUIRE,
								     __ATOMIC_RELAXED))
			return;
		cpu_relax(&spins);
	}
}
static int rw_read_try(rwlock_t *l)
{
	unsigned int v = __atomic_load_n(&l->cnts, __ATOMIC_RELAXED);
	while (!(v & RW_WRITER))
		if (__atomic_compare_exchange_n(&l->cnts, &v, v + 1, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
	return 0;
}
static int rw_write_try(rwlock_t *l)
{
	unsigned int zero = 0;
	return __atomic_compare_exchange_n(&l->cnts, &zero, RW_WRITER, 0, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}
static void rw_write_acquire(rwlock_t *l)
{
	unsigned int spins = 0;
	while (!rw_write_try(l))
		cpu_relax(&spins);
}
static void rw_read_release(rwlock_t *l)
{
	__atomic_fetch_sub(&l->cnts, 1, __ATOMIC_RELEASE);
}
static void rw_write_release(rwlock_t *l)
{
	__atomic_store_n(&l->cnts, 0, __ATOMIC_RELEASE);
}

#define RWLOCK_VARIANTS(op)                                                          \
	void _raw_##op##_lock(rwlock_t *l)                                          \
	{                                                                            \
		TOUCH(&l->cnts);                                                     \
		lkm_sync_preempt_add(PREEMPT_OFFSET);                                \
		rw_##op##_acquire(l);                                                \
	}                                                                            \
	void _raw_##op##_unlock(rwlock_t *l)                                        \
	{                                                                            \
		rw_##op##_release(l);                                                \
		lkm_sync_preempt_sub(PREEMPT_OFFSET);                                \
	}                                                                            \
	void _raw_##op##_lock_irq(rwlock_t *l)                                      \
	{                                                                            \
		TOUCH(&l->cnts);                                                     \
		__lkm_irq_disable();                                                 \
		lkm_sync_preempt_add(PREEMPT_OFFSET);                                \
		rw_##op##_acquire(l);                                                \
	}                                                                            \
	void _raw_##op##_unlock_irq(rwlock_t *l)                                    \
	{                                                                            \
		rw_##op##_release(l);                                                \
		__lkm_irq_enable();                                                  \
		lkm_sync_preempt_sub(PREEMPT_OFFSET);                                \
	}                                                                            \
	unsigned long _raw_##op##_lock_irqsave(rwlock_t *l)                         \
	{                                                                            \
		unsigned long flags;                                                 \
		TOUCH(&l->cnts);                                                     \
		flags = __lkm_irq_save();                                            \
		lkm_sync_preempt_add(PREEMPT_OFFSET);                                \
		rw_##op##_acquire(l);                                                \
		return flags;                                                        \
	}                                                                            \
	void _raw_##op##_unlock_irqrestore(rwlock_t *l, unsigned long flags)        \
	{                                                                            \
		rw_##op##_release(l);                                                \
		__lkm_irq_restore(flags);                                            \
		lkm_sync_preempt_sub(PREEMPT_OFFSET);                                \
	}                                                                            \
	void _raw_##op##_lock_bh(rwlock_t *l)                                       \
	{                                                                            \
		TOUCH(&l->cnts);                                                     \
		lkm_sync_preempt_add(SOFTIRQ_LOCK_OFFSET);                           \
		rw_##op##_acquire(l);                                                \
	}                                                                            \
	void _raw_##op##_unlock_bh(rwlock_t *l)                                     \
	{                                                                            \
		rw_##op##_release(l);                                                \
		lkm_sync_preempt_sub(SOFTIRQ_LOCK_OFFSET);                           \
	}                                                                            \
	int _raw_##op##_trylock(rwlock_t *l)                                        \
	{                                                                            \
		TOUCH(&l->cnts);                                                     \
		lkm_sync_preempt_add(PREEMPT_OFFSET);                                \
		if (rw_##op##_try(l))                                                \
			return 1;                                                    \
		lkm_sync_preempt_sub(PREEMPT_OFFSET);                                \
		return 0;                                                            \
	}

RWLOCK_VARIANTS(read)
RWLOCK_VARIANTS(write)

/* ---- mutex: owner = task | MUTEX_FLAG_WAITERS; handed over to the first waiter ---- */
#define MUTEX_FLAG_WAITERS 0x01UL
#define MUTEX_FLAGS 0x07UL

/* Line numbers are those of the might_sleep() calls in Linux 6.12. */
#define MUTEX_C "kernel/locking/mutex.c"

void __mutex_init(struct mutex *lock, const char *name, void *key)
{
	(void)name;
	(void)key;
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
	lock->wait_lock.val = 0;
	lock->__pad = 0;
	lock->wait_list.next = lock->wait_list.prev = &lock->wait_list;
}

static int mutex_slowpath(struct mutex *lock, unsigned int state, uint64_t cur)
{
	uint64_t key = (uint64_t)lock;
	word_lock(&lock->wait_lock.val);
	for (;;) {
		unsigned long v = __atomic_load_n(&lock->owner, __ATOMIC_RELAXED);
		if (v == 0) {
			if (__atomic_compare_exchange_n(&lock->owner, &v, cur, 0, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED)) {
				word_unlock(&lock->wait_lock.val);
				return 0;
			}
			continue;
		}
		if (v & MUTEX_FLAG_WAITERS)
			break;
		if (__atomic_compare_exchange_n(&lock->owner, &v, v | MUTEX_FLAG_WAITERS, 0,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
	}
	lkm_park_enqueue(key, state, 0);
	for (;;) {
		if (!lkm_park_queued(key)) {
			/* Handed over: the unlocker made us the owner. */
			lkm_set_current_state(TASK_RUNNING);
			word_unlock(&lock->wait_lock.val);
			return 0;
		}
		if (lkm_signal_pending_state(state)) {
			lkm_park_cancel(key);
			if (!lkm_park_len(key))
				__atomic_fetch_and(&lock->owner, ~MUTEX_FLAG_WAITERS, __ATOMIC_RELAXED);
			word_unlock(&lock->wait_lock.val);
			return -EINTR;
		}
		lkm_set_current_state(state);
		word_unlock(&lock->wait_lock.val);
		lkm_park_sleep(MAX_SCHEDULE_TIMEOUT);
		word_lock(&lock->wait_lock.val);
	}
}

static int mutex_lock_state(struct mutex *lock, unsigned int state)
{
	uint64_t cur = lkm_sync_current();
	unsigned long zero = 0;
	TOUCH(&lock->wait_lock.val);
	if (__atomic_compare_exchange_n(&lock->owner, &zero, cur, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return 0;
	return mutex_slowpath(lock, state, cur);
}

void mutex_lock(struct mutex *lock)
{
	lkm_sync_might_sleep(MUTEX_C, 283);
	mutex_lock_state(lock, TASK_UNINTERRUPTIBLE);
}
int mutex_lock_interruptible(struct mutex *lock)
{
	lkm_sync_might_sleep(MUTEX_C, 1023);
	return mutex_lock_state(lock, TASK_INTERRUPTIBLE);
}
int mutex_lock_killable(struct mutex *lock)
{
	lkm_sync_might_sleep(MUTEX_C, 1047);
	return mutex_lock_state(lock, TASK_KILLABLE);
}
void mutex_lock_io(struct mutex *lock)
{
	lkm_sync_might_sleep(MUTEX_C, 1068);
	mutex_lock_state(lock, TASK_UNINTERRUPTIBLE);
}
int mutex_trylock(struct mutex *lock)
{
	unsigned long zero = 0;
	return __atomic_compare_exchange_n(&lock->owner, &zero, lkm_sync_current(), 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
void mutex_unlock(struct mutex *lock)
{
	uint64_t key = (uint64_t)lock, next;
	unsigned long cur = lkm_sync_current();
	if (__atomic_compare_exchange_n(&lock->owner, &cur, 0, 0, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return;
	word_lock(&lock->wait_lock.val);
	next = lkm_park_pop(key);
	if (next) {
		__atomic_store_n(&lock->owner,
				 next | (lkm_park_len(key) ? MUTEX_FLAG_WAITERS : 0),
				 __ATOMIC_RELEASE);
		lkm_park_wake(next);
	} else {
		__atomic_store_n(&lock->owner, 0, __ATOMIC_RELEASE);
	}
	word_unlock(&lock->wait_lock.val);
}
int atomic_dec_and_mutex_lock(int *cnt, struct mutex *lock)
{
	int v = __atomic_load_n(cnt, __ATOMIC_RELAXED);
	/* dec if we can't possibly hit 0 */
	while (v != 1)
		if (__atomic_compare_exchange_n(cnt, &v, v - 1, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			return 0;
	mutex_lock(lock);
	if (__atomic_sub_fetch(cnt, 1, __ATOMIC_SEQ_CST) != 0) {
		mutex_unlock(lock);
		return 0;
	}
	return 1;
}

/* ---- semaphore: count, and units handed to waiters in order ---- */
#define SEMAPHORE_C "kernel/locking/semaphore.c"

static int down_common(struct semaphore *sem, unsigned int state, long timeout)
{
	uint64_t key = (uint64_t)sem;
	TOUCH(&sem->lock.val);
	word_lock(&sem->lock.val);
	if (sem->count > 0) {
		sem->count--;
		word_unlock(&sem->lock.val);
		return 0;
	}
	lkm_park_enqueue(key, state, 0);
	for (;;) {
		if (!lkm_park_queued(key)) {
			lkm_set_current_state(TASK_RUNNING);
			word_unlock(&sem->lock.val);
			return 0;
		}
		if (lkm_signal_pending_state(state)) {
			lkm_park_cancel(key);
			word_unlock(&sem->lock.val);
			return -EINTR;
		}
		if (timeout <= 0) {
			lkm_park_cancel(key);
			word_unlock(&sem->lock.val);
			return -ETIME;
		}
		lkm_set_current_state(state);
		word_unlock(&sem->lock.val);
		timeout = lkm_park_sleep(timeout);
		word_lock(&sem->lock.val);
	}
}

void down(struct semaphore *sem)
{
	lkm_sync_might_sleep(SEMAPHORE_C, 60);
	down_common(sem, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
}
int down_interruptible(struct semaphore *sem)
{
	lkm_sync_might_sleep(SEMAPHORE_C, 85);
	return down_common(sem, TASK_INTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
}
int down_killable(struct semaphore *sem)
{
	lkm_sync_might_sleep(SEMAPHORE_C, 112);
	return down_common(sem, TASK_KILLABLE, MAX_SCHEDULE_TIMEOUT);
}
int down_timeout(struct semaphore *sem, long timeout)
{
	lkm_sync_might_sleep(SEMAPHORE_C, 166);
	return down_common(sem, TASK_UNINTERRUPTIBLE, timeout);
}
int down_trylock(struct semaphore *sem)
{
	int ret = 1;
	TOUCH(&sem->lock.val);
	word_lock(&sem->lock.val);
	if (sem->count > 0) {
		sem->count--;
		ret = 0;
	}
	word_unlock(&sem->lock.val);
	return ret;
}
void up(struct semaphore *sem)
{
	uint64_t key = (uint64_t)sem, next;
	TOUCH(&sem->lock.val);
	word_lock(&sem->lock.val);
	next = lkm_park_pop(key);
	if (next)
		lkm_park_wake(next);
	else
		sem->count++;
	word_unlock(&sem->lock.val);
}

/* ---- rw_semaphore: count = readers * READER_BIAS | WAITERS | WRITER_LOCKED; FIFO hand-over ---- */
#define RWSEM_WRITER_LOCKED 0x1L
#define RWSEM_FLAG_WAITERS 0x2L
#define RWSEM_READER_BIAS 0x100L
#define RWSEM_READER_MASK (~(RWSEM_READER_BIAS - 1))
#define RWSEM_C "kernel/locking/rwsem.c"
#define TAG_WRITER 0
#define TAG_READER 1

void __init_rwsem(struct rw_semaphore *sem, const char *name, void *key)
{
	(void)name;
	(void)key;
	__atomic_store_n(&sem->count, 0, __ATOMIC_RELAXED);
	sem->owner = 0;
	sem->__osq = 0;
	sem->wait_lock.val = 0;
	sem->wait_list.next = sem->wait_list.prev = &sem->wait_list;
}

/* Grants the lock to the waiters at the head of the queue, if it is free for them. wait_lock held. */
static void rwsem_grant(struct rw_semaphore *sem)
{
	uint64_t key = (uint64_t)sem;
	for (;;) {
		long v = __atomic_load_n(&sem->count, __ATOMIC_ACQUIRE);
		int tag = lkm_park_front_tag(key);
		if (tag < 0 || (v & RWSEM_WRITER_LOCKED))
			break;
		if (tag == TAG_WRITER) {
			uint64_t next;
			if (v & RWSEM_READER_MASK)
				break;
			if (!__atomic_compare_exchange_n(&sem->count, &v, v | RWSEM_WRITER_LOCKED, 0,
							 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				continue;
			next = lkm_park_pop(key);
			sem->owner = next;
			lkm_park_wake(next);
			break;
		}
		/* Readers at the head: all of them go. */
		while (lkm_park_front_tag(key) == TAG_READER) {
			uint64_t next = lkm_park_pop(key);
			__atomic_fetch_add(&sem->count, RWSEM_READER_BIAS, __ATOMIC_ACQUIRE);
			lkm_park_wake(next);
		}
	}
	if (!lkm_park_len(key))
		__atomic_fetch_and(&sem->count, ~RWSEM_FLAG_WAITERS, __ATOMIC_RELAXED);
}

static int rwsem_slowpath(struct rw_semaphore *sem, unsigned int state, int tag)
{
	uint64_t key = (uint64_t)sem;
	word_lock(&sem->wait_lock.val);
	for (;;) {
		long v = __atomic_load_n(&sem->count, __ATOMIC_RELAXED);
		if (!lkm_park_len(key) && !(v & RWSEM_WRITER_LOCKED) &&
		    (tag == TAG_READER || !(v & RWSEM_READER_MASK))) {
			long want = tag == TAG_READER ? v + RWSEM_READER_BIAS : v | RWSEM_WRITER_LOCKED;
			if (__atomic_compare_exchange_n(&sem->count, &v, want, 0, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED)) {
				if (tag == TAG_WRITER)
					sem->owner = lkm_sync_current();
				word_unlock(&sem->wait_lock.val);
				return 0;
			}
			continue;
		}
		if (v & RWSEM_FLAG_WAITERS)
			break;
		if (__atomic_compare_exchange_n(&sem->count, &v, v | RWSEM_FLAG_WAITERS, 0,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
	}
	lkm_park_enqueue(key, state, tag);
	for (;;) {
		if (!lkm_park_queued(key)) {
			lkm_set_current_state(TASK_RUNNING);
			word_unlock(&sem->wait_lock.val);
			return 0;
		}
		if (lkm_signal_pending_state(state)) {
			lkm_park_cancel(key);
			rwsem_grant(sem);
			word_unlock(&sem->wait_lock.val);
			return -EINTR;
		}
		lkm_set_current_state(state);
		word_unlock(&sem->wait_lock.val);
		lkm_park_sleep(MAX_SCHEDULE_TIMEOUT);
		word_lock(&sem->wait_lock.val);
	}
}

static int read_fast(struct rw_semaphore *sem)
{
	long v = __atomic_load_n(&sem->count, __ATOMIC_RELAXED);
	while (!(v & (RWSEM_WRITER_LOCKED | RWSEM_FLAG_WAITERS)))
		if (__atomic_compare_exchange_n(&sem->count, &v, v + RWSEM_READER_BIAS, 0,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	return 0;
}
static int write_fast(struct rw_semaphore *sem)
{
	long zero = 0;
	if (__atomic_compare_exchange_n(&sem->count, &zero, RWSEM_WRITER_LOCKED, 0,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		sem->owner = lkm_sync_current();
		return 1;
	}
	return 0;
}

void down_read(struct rw_semaphore *sem)
{
	lkm_sync_might_sleep(RWSEM_C, 1524);
	TOUCH(&sem->wait_lock.val);
	if (!read_fast(sem))
		rwsem_slowpath(sem, TASK_UNINTERRUPTIBLE, TAG_READER);
}
int down_read_interruptible(struct rw_semaphore *sem)
{
	lkm_sync_might_sleep(RWSEM_C, 1533);
	TOUCH(&sem->wait_lock.val);
	return read_fast(sem) ? 0 : rwsem_slowpath(sem, TASK_INTERRUPTIBLE, TAG_READER);
}
int down_read_killable(struct rw_semaphore *sem)
{
	lkm_sync_might_sleep(RWSEM_C, 1547);
	TOUCH(&sem->wait_lock.val);
	return read_fast(sem) ? 0 : rwsem_slowpath(sem, TASK_KILLABLE, TAG_READER);
}
int down_read_trylock(struct rw_semaphore *sem)
{
	long v;
	TOUCH(&sem->wait_lock.val);
	v = __atomic_load_n(&sem->count, __ATOMIC_RELAXED);
	while (!(v & RWSEM_WRITER_LOCKED))
		if (__atomic_compare_exchange_n(&sem->count, &v, v + RWSEM_READER_BIAS, 0,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	return 0;
}
void down_write(struct rw_semaphore *sem)
{
	lkm_sync_might_sleep(RWSEM_C, 1576);
	TOUCH(&sem->wait_lock.val);
	if (!write_fast(sem))
		rwsem_slowpath(sem, TASK_UNINTERRUPTIBLE, TAG_WRITER);
}
int down_write_killable(struct rw_semaphore *sem)
{
	lkm_sync_might_sleep(RWSEM_C, 1587);
	TOUCH(&sem->wait_lock.val);
	return write_fast(sem) ? 0 : rwsem_slowpath(sem, TASK_KILLABLE, TAG_WRITER);
}
int down_write_trylock(struct rw_semaphore *sem)
{
	TOUCH(&sem->wait_lock.val);
	return write_fast(sem);
}
void up_read(struct rw_semaphore *sem)
{
	long v = __atomic_sub_fetch(&sem->count, RWSEM_READER_BIAS, __ATOMIC_RELEASE);
	if ((v & RWSEM_FLAG_WAITERS) && !(v & (RWSEM_READER_MASK | RWSEM_WRITER_LOCKED))) {
		word_lock(&sem->wait_lock.val);
		rwsem_grant(sem);
		word_unlock(&sem->wait_lock.val);
	}
}
void up_write(struct rw_semaphore *sem)
{
	long w = RWSEM_WRITER_LOCKED;
	sem->owner = 0;
	if (__atomic_compare_exchange_n(&sem->count, &w, 0, 0, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return;
	word_lock(&sem->wait_lock.val);
	__atomic_fetch_and(&sem->count, ~RWSEM_WRITER_LOCKED, __ATOMIC_RELEASE);
	rwsem_grant(sem);
	word_unlock(&sem->wait_lock.val);
}
void downgrade_write(struct rw_semaphore *sem)
{
	word_lock(&sem->wait_lock.val);
	sem->owner = 0;
	__atomic_fetch_add(&sem->count, RWSEM_READER_BIAS - RWSEM_WRITER_LOCKED, __ATOMIC_RELEASE);
	rwsem_grant(sem);
	word_unlock(&sem->wait_lock.val);
}

/* ---- completions (kernel/sched/completion.c) ---- */
#define COMPLETION_C "kernel/sched/completion.c"
#define UINT_MAX 0xffffffffu

void complete(struct completion *x)
{
	uint64_t key = (uint64_t)&x->wait, next;
	TOUCH(&x->wait.lock.val);
	word_lock(&x->wait.lock.val);
	if (x->done != UINT_MAX)
		x->done++;
	next = lkm_park_pop(key);
	if (next)
		lkm_park_wake(next);
	word_unlock(&x->wait.lock.val);
}
void complete_all(struct completion *x)
{
	uint64_t key = (uint64_t)&x->wait, next;
	TOUCH(&x->wait.lock.val);
	word_lock(&x->wait.lock.val);
	x->done = UINT_MAX;
	while ((next = lkm_park_pop(key)))
		lkm_park_wake(next);
	word_unlock(&x->wait.lock.val);
}

/* do_wait_for_common: the remaining jiffies (at least 1) when done, 0 on timeout, -ERESTARTSYS on
 * a signal. */
static long wait_for_common(struct completion *x, long timeout, unsigned int state)
{
	uint64_t key = (uint64_t)&x->wait;
	TOUCH(&x->wait.lock.val);
	word_lock(&x->wait.lock.val);
	if (!x->done) {
		do {
			if (lkm_signal_pending_state(state)) {
				lkm_park_cancel(key);
				word_unlock(&x->wait.lock.val);
				return -ERESTARTSYS;
			}
			lkm_park_enqueue(key, state, 0);
			word_unlock(&x->wait.lock.val);
			timeout = lkm_park_sleep(timeout);
			word_lock(&x->wait.lock.val);
		} while (!x->done && timeout);
		lkm_park_cancel(key);
		if (!x->done) {
			word_unlock(&x->wait.lock.val);
			return timeout;
		}
	}
	if (x->done != UINT_MAX)
		x->done--;
	word_unlock(&x->wait.lock.val);
	return timeout ? timeout : 1;
}

void wait_for_completion(struct completion *x)
{
	lkm_sync_might_sleep(COMPLETION_C, 117);
	wait_for_common(x, MAX_SCHEDULE_TIMEOUT, TASK_UNINTERRUPTIBLE);
}
void wait_for_completion_io(struct completion *x)
{
	lkm_sync_might_sleep(COMPLETION_C, 117);
	wait_for_common(x, MAX_SCHEDULE_TIMEOUT, TASK_UNINTERRUPTIBLE);
}
unsigned long wait_for_completion_timeout(struct completion *x, unsigned long timeout)
{
	lkm_sync_might_sleep(COMPLETION_C, 117);
	return wait_for_common(x, (long)timeout, TASK_UNINTERRUPTIBLE);
}
unsigned long wait_for_completion_io_timeout(struct completion *x, unsigned long timeout)
{
	lkm_sync_might_sleep(COMPLETION_C, 117);
	return wait_for_common(x, (long)timeout, TASK_UNINTERRUPTIBLE);
}
int wait_for_completion_interruptible(struct completion *x)
{
	long t;
	lkm_sync_might_sleep(COMPLETION_C, 117);
	t = wait_for_common(x, MAX_SCHEDULE_TIMEOUT, TASK_INTERRUPTIBLE);
	return t == -ERESTARTSYS ? (int)t : 0;
}
long wait_for_completion_interruptible_timeout(struct completion *x, unsigned long timeout)
{
	lkm_sync_might_sleep(COMPLETION_C, 117);
	return wait_for_common(x, (long)timeout, TASK_INTERRUPTIBLE);
}
int wait_for_completion_killable(struct completion *x)
{
	long t;
	lkm_sync_might_sleep(COMPLETION_C, 117);
	t = wait_for_common(x, MAX_SCHEDULE_TIMEOUT, TASK_KILLABLE);
	return t == -ERESTARTSYS ? (int)t : 0;
}
long wait_for_completion_killable_timeout(struct completion *x, unsigned long timeout)
{
	lkm_sync_might_sleep(COMPLETION_C, 117);
	return wait_for_common(x, (long)timeout, TASK_KILLABLE);
}
int try_wait_for_completion(struct completion *x)
{
	int ret = 1;
	TOUCH(&x->wait.lock.val);
	/* Linux: don't take the lock when there is nothing to take. */
	if (!__atomic_load_n(&x->done, __ATOMIC_ACQUIRE))
		return 0;
	word_lock(&x->wait.lock.val);
	if (!x->done)
		ret = 0;
	else if (x->done != UINT_MAX)
		x->done--;
	word_unlock(&x->wait.lock.val);
	return ret;
}
int completion_done(struct completion *x)
{
	TOUCH(&x->wait.lock.val);
	if (!__atomic_load_n(&x->done, __ATOMIC_ACQUIRE))
		return 0;
	/* Wait for a complete() still holding the lock, as Linux does. */
	word_lock(&x->wait.lock.val);
	word_unlock(&x->wait.lock.val);
	return 1;
}

/* ---- wait queues (kernel/sched/wait.c) ---- */
static inline void list_init(struct list_head *l)
{
	l->next = l->prev = l;
}
static inline int list_empty_(const struct list_head *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_ACQUIRE) == l;
}
static inline void list_add_between(struct list_head *n, struct list_head *prev,
				    struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}
static inline void list_del_init_(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	list_init(e);
}

static unsigned long wq_lock(struct wait_queue_head *wq)
{
	return _raw_spin_lock_irqsave(&wq->lock);
}
static void wq_unlock(struct wait_queue_head *wq, unsigned long flags)
{
	_raw_spin_unlock_irqrestore(&wq->lock, flags);
}

void __init_waitqueue_head(struct wait_queue_head *wq, const char *name, void *key)
{
	(void)name;
	(void)key;
	wq->lock.val = 0;
	list_init(&wq->head);
}

int default_wake_function(struct wait_queue_entry *curr, unsigned int mode, int wake_flags,
			  void *key)
{
	(void)wake_flags;
	(void)key;
	return lkm_try_to_wake_up((uint64_t)curr->private, mode);
}
int autoremove_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode, int sync,
			     void *key)
{
	int ret = default_wake_function(wq_entry, mode, sync, key);
	if (ret)
		list_del_init_(&wq_entry->entry);
	return ret;
}
int woken_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode, int sync, void *key)
{
	__atomic_fetch_or(&wq_entry->flags, WQ_FLAG_WOKEN, __ATOMIC_SEQ_CST);
	return default_wake_function(wq_entry, mode, sync, key);
}

void init_wait_entry(struct wait_queue_entry *wq_entry, int flags)
{
	wq_entry->flags = flags;
	wq_entry->private = (void *)lkm_sync_current();
	wq_entry->func = autoremove_wake_function;
	list_init(&wq_entry->entry);
}

void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	unsigned long flags;
	e->flags &= ~WQ_FLAG_EXCLUSIVE;
	flags = wq_lock(wq);
	list_add_between(&e->entry, &wq->head, wq->head.next);
	wq_unlock(wq, flags);
}
void add_wait_queue_exclusive(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	unsigned long flags;
	e->flags |= WQ_FLAG_EXCLUSIVE;
	flags = wq_lock(wq);
	list_add_between(&e->entry, wq->head.prev, &wq->head);
	wq_unlock(wq, flags);
}
void remove_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	unsigned long flags = wq_lock(wq);
	list_del_init_(&e->entry);
	wq_unlock(wq, flags);
}

void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *e, int state)
{
	unsigned long flags;
	e->flags &= ~WQ_FLAG_EXCLUSIVE;
	flags = wq_lock(wq);
	if (list_empty_(&e->entry))
		list_add_between(&e->entry, &wq->head, wq->head.next);
	lkm_set_current_state(state);
	wq_unlock(wq, flags);
}
int prepare_to_wait_exclusive(struct wait_queue_head *wq, struct wait_queue_entry *e, int state)
{
	unsigned long flags;
	int was_empty = 0;
	e->flags |= WQ_FLAG_EXCLUSIVE;
	flags = wq_lock(wq);
	if (list_empty_(&e->entry)) {
		was_empty = list_empty_(&wq->head);
		list_add_between(&e->entry, wq->head.prev, &wq->head);
	}
	lkm_set_current_state(state);
	wq_unlock(wq, flags);
	return was_empty;
}
long prepare_to_wait_event(struct wait_queue_head *wq, struct wait_queue_entry *e, int state)
{
	unsigned long flags;
	long ret = 0;
	flags = wq_lock(wq);
	if (lkm_signal_pending_state(state)) {
		/* Like Linux: off the queue, so a wake-up goes to someone else, and the caller does
		 * not call finish_wait(). */
		list_del_init_(&e->entry);
		ret = -ERESTARTSYS;
	} else {
		if (list_empty_(&e->entry)) {
			if (e->flags & WQ_FLAG_EXCLUSIVE)
				list_add_between(&e->entry, wq->head.prev, &wq->head);
			else
				list_add_between(&e->entry, &wq->head, wq->head.next);
		}
		lkm_set_current_state(state);
	}
	wq_unlock(wq, flags);
	return ret;
}
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	lkm_set_current_state(TASK_RUNNING);
	if (!list_empty_(&e->entry)) {
		unsigned long flags = wq_lock(wq);
		list_del_init_(&e->entry);
		wq_unlock(wq, flags);
	}
}

static int wake_up_common(struct wait_queue_head *wq, unsigned int mode, int nr_exclusive,
			  int wake_flags, void *key)
{
	struct list_head *pos = wq->head.next, *n;
	for (; pos != &wq->head; pos = n) {
		struct wait_queue_entry *curr =
			(struct wait_queue_entry *)((char *)pos -
						    offsetof(struct wait_queue_entry, entry));
		unsigned int eflags = curr->flags;
		int ret;
		n = pos->next;
		ret = curr->func(curr, mode, wake_flags, key);
		if (ret < 0)
			break;
		if (ret && (eflags & WQ_FLAG_EXCLUSIVE) && !--nr_exclusive)
			break;
	}
	return nr_exclusive;
}

int __wake_up(struct wait_queue_head *wq, unsigned int mode, int nr_exclusive, void *key)
{
	unsigned long flags;
	int left;
	TOUCH(&wq->lock.val);
	flags = wq_lock(wq);
	left = wake_up_common(wq, mode, nr_exclusive, 0, key);
	wq_unlock(wq, flags);
	return nr_exclusive - left;
}
void __wake_up_locked(struct wait_queue_head *wq, unsigned int mode, int nr)
{
	wake_up_common(wq, mode, nr, 0, NULL);
}
void __wake_up_locked_key(struct wait_queue_head *wq, unsigned int mode, void *key)
{
	wake_up_common(wq, mode, 1, 0, key);
}
void __wake_up_sync(struct wait_queue_head *wq, unsigned int mode)
{
	__wake_up(wq, mode, 1, NULL);
}
void __wake_up_sync_key(struct wait_queue_head *wq, unsigned int mode, void *key)
{
	__wake_up(wq, mode, 1, key);
}

/* wait_woken(): sleeps unless woken_wake_function already ran for this entry. */
long wait_woken(struct wait_queue_entry *e, unsigned int mode, long timeout)
{
	lkm_set_current_state(mode);
	if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & WQ_FLAG_WOKEN) &&
	    !lkm_signal_pending_state(mode))
		timeout = lkm_park_sleep(timeout);
	lkm_set_current_state(TASK_RUNNING);
	__atomic_fetch_and(&e->flags, ~WQ_FLAG_WOKEN, __ATOMIC_SEQ_CST);
	return timeout;
}

/* ---- refcount_t (lib/refcount.c) ---- */
#define REFCOUNT_SATURATED ((-0x7fffffff - 1) / 2)
enum refcount_saturation_type {
	REFCOUNT_ADD_NOT_ZERO_OVF,
	REFCOUNT_ADD_OVF,
	REFCOUNT_ADD_UAF,
	REFCOUNT_SUB_UAF,
	REFCOUNT_DEC_LEAK,
};

void refcount_warn_saturate(int *r, enum refcount_saturation_type t)
{
	static int once[6];
	static const struct {
		int line;
		const char *msg;
	} what[6] = {
		{ 19, "refcount_t: saturated; leaking memory.\n" },
		{ 22, "refcount_t: saturated; leaking memory.\n" },
		{ 25, "refcount_t: addition on 0; use-after-free.\n" },
		{ 28, "refcount_t: underflow; use-after-free.\n" },
		{ 31, "refcount_t: decrement hit 0; leaking memory.\n" },
		{ 34, "refcount_t: unknown saturation event!?\n" },
	};
	unsigned int i = (unsigned int)t < 5 ? (unsigned int)t : 5;
	__atomic_store_n(r, REFCOUNT_SATURATED, __ATOMIC_RELAXED);
	/* WARN_ONCE: once per kind. */
	if (!__atomic_exchange_n(&once[i], 1, __ATOMIC_RELAXED))
		__lkm_warn("lib/refcount.c", what[i].line, "%s", what[i].msg);
}
