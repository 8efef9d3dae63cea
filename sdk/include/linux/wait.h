/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: wait queues, as Linux 6.12's (docs/SDK-ABI.md, "Locking"): a head holds a spinlock and a
 * list of entries living in module memory; a wake-up calls each entry's function under the lock.
 * The wait_event*() macros are Linux's: the condition is evaluated here, in module code, around
 * prepare_to_wait_event()/schedule()/finish_wait().  An interruptible or killable wait ends with
 * -ERESTARTSYS when a signal is pending (in the sandbox: the client process went away).
 * Written for lkm.
 */
#ifndef _LINUX_WAIT_H
#define _LINUX_WAIT_H

#include <linux/list.h>
#include <linux/stddef.h>
#include <linux/spinlock.h>

struct task_struct;
/* current; the same prototype <linux/sched.h> (asm/current.h) declares. */
extern struct task_struct *get_current(void);
extern void schedule(void);
extern long schedule_timeout(long timeout);
/* The sleeping-in-atomic check (kernel/sched/core.c) at the call site. */
extern void __might_sleep(const char *file, int line);

/* Task states the macros below use (<linux/sched.h> has the public names). */
#define __LKM_TASK_INTERRUPTIBLE	0x00000001
#define __LKM_TASK_UNINTERRUPTIBLE	0x00000002
#define __LKM_TASK_WAKEKILL		0x00000100
#define __LKM_TASK_NOLOAD		0x00000400
#define __LKM_TASK_KILLABLE		(__LKM_TASK_WAKEKILL | __LKM_TASK_UNINTERRUPTIBLE)
#define __LKM_TASK_IDLE			(__LKM_TASK_UNINTERRUPTIBLE | __LKM_TASK_NOLOAD)
#define __LKM_TASK_NORMAL		(__LKM_TASK_INTERRUPTIBLE | __LKM_TASK_UNINTERRUPTIBLE)
#define __LKM_MAX_SCHEDULE_TIMEOUT	((long)(~0UL >> 1))

typedef struct wait_queue_entry wait_queue_entry_t;

typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry, unsigned mode, int flags,
				 void *key);
int default_wake_function(struct wait_queue_entry *wq_entry, unsigned mode, int flags, void *key);

/* wait_queue_entry::flags */
#define WQ_FLAG_EXCLUSIVE	0x01
#define WQ_FLAG_WOKEN		0x02
#define WQ_FLAG_CUSTOM		0x04
#define WQ_FLAG_DONE		0x08
#define WQ_FLAG_PRIORITY	0x10

struct wait_queue_entry {
	unsigned int		flags;
	void			*private;
	wait_queue_func_t	func;
	struct list_head	entry;
};

struct wait_queue_head {
	spinlock_t		lock;
	struct list_head	head;
};
typedef struct wait_queue_head wait_queue_head_t;

#define __WAITQUEUE_INITIALIZER(name, tsk) {					\
	.private	= tsk,							\
	.func		= default_wake_function,				\
	.entry		= { NULL, NULL } }

#define DECLARE_WAITQUEUE(name, tsk)						\
	struct wait_queue_entry name = __WAITQUEUE_INITIALIZER(name, tsk)

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) {					\
	.lock		= __SPIN_LOCK_INITIALIZER(name.lock),			\
	.head		= LIST_HEAD_INIT(name.head) }

#define DECLARE_WAIT_QUEUE_HEAD(name) \
	struct wait_queue_head name = __WAIT_QUEUE_HEAD_INITIALIZER(name)

extern void __init_waitqueue_head(struct wait_queue_head *wq_head, const char *name,
				  struct lock_class_key *);

#define init_waitqueue_head(wq_head)						\
	do {									\
		static struct lock_class_key __key;				\
										\
		__init_waitqueue_head((wq_head), #wq_head, &__key);		\
	} while (0)

#define DECLARE_WAIT_QUEUE_HEAD_ONSTACK(name) DECLARE_WAIT_QUEUE_HEAD(name)

static inline void init_waitqueue_entry(struct wait_queue_entry *wq_entry, struct task_struct *p)
{
	wq_entry->flags		= 0;
	wq_entry->private	= p;
	wq_entry->func		= default_wake_function;
}

static inline void
init_waitqueue_func_entry(struct wait_queue_entry *wq_entry, wait_queue_func_t func)
{
	wq_entry->flags		= 0;
	wq_entry->private	= NULL;
	wq_entry->func		= func;
}

static inline int waitqueue_active(struct wait_queue_head *wq_head)
{
	return !list_empty(&wq_head->head);
}

static inline bool wq_has_single_sleeper(struct wait_queue_head *wq_head)
{
	return list_is_singular(&wq_head->head);
}

static inline bool wq_has_sleeper(struct wait_queue_head *wq_head)
{
	smp_mb();
	return waitqueue_active(wq_head);
}

extern void add_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry);
extern void add_wait_queue_exclusive(struct wait_queue_head *wq_head,
				     struct wait_queue_entry *wq_entry);
extern void remove_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry);

static inline void __add_wait_queue(struct wait_queue_head *wq_head,
				    struct wait_queue_entry *wq_entry)
{
	list_add(&wq_entry->entry, &wq_head->head);
}
static inline void __add_wait_queue_entry_tail(struct wait_queue_head *wq_head,
					       struct wait_queue_entry *wq_entry)
{
	list_add_tail(&wq_entry->entry, &wq_head->head);
}
static inline void __remove_wait_queue(struct wait_queue_head *wq_head,
				       struct wait_queue_entry *wq_entry)
{
	(void)wq_head;
	list_del(&wq_entry->entry);
}

extern int __wake_up(struct wait_queue_head *wq_head, unsigned int mode, int nr, void *key);
extern void __wake_up_locked_key(struct wait_queue_head *wq_head, unsigned int mode, void *key);
extern void __wake_up_locked(struct wait_queue_head *wq_head, unsigned int mode, int nr);
extern void __wake_up_sync(struct wait_queue_head *wq_head, unsigned int mode);
extern void __wake_up_sync_key(struct wait_queue_head *wq_head, unsigned int mode, void *key);

#define wake_up(x)			__wake_up(x, __LKM_TASK_NORMAL, 1, NULL)
#define wake_up_nr(x, nr)		__wake_up(x, __LKM_TASK_NORMAL, nr, NULL)
#define wake_up_all(x)			__wake_up(x, __LKM_TASK_NORMAL, 0, NULL)
#define wake_up_locked(x)		__wake_up_locked((x), __LKM_TASK_NORMAL, 1)
#define wake_up_all_locked(x)		__wake_up_locked((x), __LKM_TASK_NORMAL, 0)

#define wake_up_interruptible(x)	__wake_up(x, __LKM_TASK_INTERRUPTIBLE, 1, NULL)
#define wake_up_interruptible_nr(x, nr)	__wake_up(x, __LKM_TASK_INTERRUPTIBLE, nr, NULL)
#define wake_up_interruptible_all(x)	__wake_up(x, __LKM_TASK_INTERRUPTIBLE, 0, NULL)
#define wake_up_interruptible_sync(x)	__wake_up_sync((x), __LKM_TASK_INTERRUPTIBLE)

#define ___wait_cond_timeout(condition)						\
({										\
	bool __cond = (condition);						\
	if (__cond && !__ret)							\
		__ret = 1;							\
	__cond || !__ret;							\
})

#define ___wait_is_interruptible(state)						\
	(!__builtin_constant_p(state) ||					\
	 (state & (__LKM_TASK_INTERRUPTIBLE | __LKM_TASK_WAKEKILL)))

extern void init_wait_entry(struct wait_queue_entry *wq_entry, int flags);

/*
 * The core of every wait_event*(): the condition is tested after the task is on the queue and
 * its state is set, so a wake-up between the test and schedule() is not lost.
 */
#define ___wait_event(wq_head, condition, state, exclusive, ret, cmd)		\
({										\
	__label__ __out;							\
	struct wait_queue_entry __wq_entry;					\
	long __ret = ret;	/* explicit shadow */				\
										\
	init_wait_entry(&__wq_entry, exclusive ? WQ_FLAG_EXCLUSIVE : 0);	\
	for (;;) {								\
		long __int = prepare_to_wait_event(&wq_head, &__wq_entry, state);\
										\
		if (condition)							\
			break;							\
										\
		if (___wait_is_interruptible(state) && __int) {			\
			__ret = __int;						\
			goto __out;						\
		}								\
										\
		cmd;								\
	}									\
	finish_wait(&wq_head, &__wq_entry);					\
__out:	__ret;									\
})

#define __lkm_might_sleep()	__might_sleep(__FILE__, __LINE__)

#define __wait_event(wq_head, condition)					\
	(void)___wait_event(wq_head, condition, __LKM_TASK_UNINTERRUPTIBLE, 0, 0,	\
			    schedule())

#define wait_event(wq_head, condition)						\
do {										\
	__lkm_might_sleep();							\
	if (condition)								\
		break;								\
	__wait_event(wq_head, condition);					\
} while (0)

#define __wait_event_timeout(wq_head, condition, timeout)			\
	___wait_event(wq_head, ___wait_cond_timeout(condition),			\
		      __LKM_TASK_UNINTERRUPTIBLE, 0, timeout,			\
		      __ret = schedule_timeout(__ret))

#define wait_event_timeout(wq_head, condition, timeout)				\
({										\
	long __ret = timeout;							\
	__lkm_might_sleep();							\
	if (!___wait_cond_timeout(condition))					\
		__ret = __wait_event_timeout(wq_head, condition, timeout);	\
	__ret;									\
})

#define __wait_event_cmd(wq_head, condition, cmd1, cmd2)			\
	(void)___wait_event(wq_head, condition, __LKM_TASK_UNINTERRUPTIBLE, 0, 0,	\
			    cmd1; schedule(); cmd2)

#define wait_event_cmd(wq_head, condition, cmd1, cmd2)				\
do {										\
	if (condition)								\
		break;								\
	__wait_event_cmd(wq_head, condition, cmd1, cmd2);			\
} while (0)

#define __wait_event_interruptible(wq_head, condition)				\
	___wait_event(wq_head, condition, __LKM_TASK_INTERRUPTIBLE, 0, 0,	\
		      schedule())

#define wait_event_interruptible(wq_head, condition)				\
({										\
	int __ret = 0;								\
	__lkm_might_sleep();							\
	if (!(condition))							\
		__ret = __wait_event_interruptible(wq_head, condition);		\
	__ret;									\
})

#define __wait_event_interruptible_timeout(wq_head, condition, timeout)	\
	___wait_event(wq_head, ___wait_cond_timeout(condition),			\
		      __LKM_TASK_INTERRUPTIBLE, 0, timeout,			\
		      __ret = schedule_timeout(__ret))

#define wait_event_interruptible_timeout(wq_head, condition, timeout)		\
({										\
	long __ret = timeout;							\
	__lkm_might_sleep();							\
	if (!___wait_cond_timeout(condition))					\
		__ret = __wait_event_interruptible_timeout(wq_head,		\
						condition, timeout);		\
	__ret;									\
})

#define __wait_event_interruptible_exclusive(wq, condition)			\
	___wait_event(wq, condition, __LKM_TASK_INTERRUPTIBLE, 1, 0,		\
		      schedule())

#define wait_event_interruptible_exclusive(wq, condition)			\
({										\
	int __ret = 0;								\
	__lkm_might_sleep();							\
	if (!(condition))							\
		__ret = __wait_event_interruptible_exclusive(wq, condition);	\
	__ret;									\
})

#define __wait_event_killable(wq, condition)					\
	___wait_event(wq, condition, __LKM_TASK_KILLABLE, 0, 0, schedule())

#define wait_event_killable(wq_head, condition)					\
({										\
	int __ret = 0;								\
	__lkm_might_sleep();							\
	if (!(condition))							\
		__ret = __wait_event_killable(wq_head, condition);		\
	__ret;									\
})

#define __wait_event_killable_timeout(wq_head, condition, timeout)		\
	___wait_event(wq_head, ___wait_cond_timeout(condition),			\
		      __LKM_TASK_KILLABLE, 0, timeout,				\
		      __ret = schedule_timeout(__ret))

#define wait_event_killable_timeout(wq_head, condition, timeout)		\
({										\
	long __ret = timeout;							\
	__lkm_might_sleep();							\
	if (!___wait_cond_timeout(condition))					\
		__ret = __wait_event_killable_timeout(wq_head,			\
						condition, timeout);		\
	__ret;									\
})

#define __wait_event_idle(wq_head, condition)					\
	(void)___wait_event(wq_head, condition, __LKM_TASK_IDLE, 0, 0, schedule())

#define wait_event_idle(wq_head, condition)					\
do {										\
	__lkm_might_sleep();							\
	if (!(condition))							\
		__wait_event_idle(wq_head, condition);				\
} while (0)

#define __wait_event_idle_timeout(wq_head, condition, timeout)			\
	___wait_event(wq_head, ___wait_cond_timeout(condition),			\
		      __LKM_TASK_IDLE, 0, timeout,				\
		      __ret = schedule_timeout(__ret))

#define wait_event_idle_timeout(wq_head, condition, timeout)			\
({										\
	long __ret = timeout;							\
	__lkm_might_sleep();							\
	if (!___wait_cond_timeout(condition))					\
		__ret = __wait_event_idle_timeout(wq_head, condition, timeout);	\
	__ret;									\
})

/* wait_event_lock_irq: @lock (a spinlock_t) is held on entry and on return, dropped while asleep. */
#define __wait_event_lock_irq(wq_head, condition, lock, cmd)			\
	(void)___wait_event(wq_head, condition, __LKM_TASK_UNINTERRUPTIBLE, 0, 0,	\
			    spin_unlock_irq(&lock);				\
			    cmd;						\
			    schedule();						\
			    spin_lock_irq(&lock))

#define wait_event_lock_irq(wq_head, condition, lock)				\
do {										\
	if (condition)								\
		break;								\
	__wait_event_lock_irq(wq_head, condition, lock, );			\
} while (0)

#define wait_event_lock_irq_cmd(wq_head, condition, lock, cmd)			\
do {										\
	if (condition)								\
		break;								\
	__wait_event_lock_irq(wq_head, condition, lock, cmd);			\
} while (0)

void prepare_to_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry, int state);
bool prepare_to_wait_exclusive(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			       int state);
long prepare_to_wait_event(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			   int state);
void finish_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry);
long wait_woken(struct wait_queue_entry *wq_entry, unsigned mode, long timeout);
int woken_wake_function(struct wait_queue_entry *wq_entry, unsigned mode, int sync, void *key);
int autoremove_wake_function(struct wait_queue_entry *wq_entry, unsigned mode, int sync, void *key);

#define DEFINE_WAIT_FUNC(name, function)					\
	struct wait_queue_entry name = {					\
		.private	= get_current(),				\
		.func		= function,					\
		.entry		= LIST_HEAD_INIT((name).entry),			\
	}

#define DEFINE_WAIT(name) DEFINE_WAIT_FUNC(name, autoremove_wake_function)

#define init_wait_func(wait, function)						\
	do {									\
		(wait)->private = get_current();				\
		(wait)->func = function;					\
		INIT_LIST_HEAD(&(wait)->entry);					\
		(wait)->flags = 0;						\
	} while (0)

#define init_wait(wait)	init_wait_func(wait, autoremove_wake_function)

#endif /* _LINUX_WAIT_H */
