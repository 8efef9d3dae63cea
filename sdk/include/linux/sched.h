/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: tasks.  Written for lkm.  struct task_struct is the sandbox's
 * 128-byte layout (docs/SDK-ABI.md, "Tasks and contexts"), not Linux's:
 * modules use current, ->comm, ->pid, ->__state (through set_current_state),
 * ->flags.  Sleeping is the kernel's protocol: set the state, test the
 * condition, schedule(); wake_up_process() makes the task running.
 */
#ifndef _LINUX_SCHED_H
#define _LINUX_SCHED_H

#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/limits.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/signal_types.h>

#define TASK_COMM_LEN			16

/* Used in tsk->__state. */
#define TASK_RUNNING			0x00000000
#define TASK_INTERRUPTIBLE		0x00000001
#define TASK_UNINTERRUPTIBLE		0x00000002
#define __TASK_STOPPED			0x00000004
#define __TASK_TRACED			0x00000008
/* Used in tsk->exit_state. */
#define EXIT_DEAD			0x00000010
#define EXIT_ZOMBIE			0x00000020
#define EXIT_TRACE			(EXIT_ZOMBIE | EXIT_DEAD)
/* Used in tsk->__state again. */
#define TASK_PARKED			0x00000040
#define TASK_DEAD			0x00000080
#define TASK_WAKEKILL			0x00000100
#define TASK_WAKING			0x00000200
#define TASK_NOLOAD			0x00000400
#define TASK_NEW			0x00000800
#define TASK_RTLOCK_WAIT		0x00001000
#define TASK_FREEZABLE			0x00002000
#define TASK_FROZEN			0x00008000
#define TASK_STATE_MAX			0x00010000

#define TASK_ANY			(TASK_STATE_MAX - 1)
#define TASK_KILLABLE			(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_STOPPED			(TASK_WAKEKILL | __TASK_STOPPED)
#define TASK_TRACED			__TASK_TRACED
#define TASK_IDLE			(TASK_UNINTERRUPTIBLE | TASK_NOLOAD)
#define TASK_NORMAL			(TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)

/* Per-task flags (tsk->flags). */
#define PF_IDLE				0x00000002
#define PF_EXITING			0x00000004
#define PF_WQ_WORKER			0x00000020
#define PF_KTHREAD			0x00200000

#define MAX_SCHEDULE_TIMEOUT		LONG_MAX

struct task_struct {
	unsigned int __state;		/* 0: TASK_* */
	unsigned int flags;		/* 4: PF_* */
	pid_t pid;			/* 8 */
	pid_t tgid;			/* 12 */
	char comm[TASK_COMM_LEN];	/* 16 */
	void *stack;			/* 32 */
	sigset_t blocked;		/* 40: signals the task blocks */
	struct sigpending pending;	/* 48: .signal (64) holds the pending signals */
	unsigned long __lkm_reserved[7];	/* 72..127 */
};

_Static_assert(sizeof(struct task_struct) == 128, "struct task_struct must be 128 bytes");
_Static_assert(__builtin_offsetof(struct task_struct, flags) == 4, "task_struct.flags offset");
_Static_assert(__builtin_offsetof(struct task_struct, pid) == 8, "task_struct.pid offset");
_Static_assert(__builtin_offsetof(struct task_struct, comm) == 16, "task_struct.comm offset");
_Static_assert(__builtin_offsetof(struct task_struct, stack) == 32, "task_struct.stack offset");
_Static_assert(__builtin_offsetof(struct task_struct, blocked) == 40, "task_struct.blocked offset");
_Static_assert(__builtin_offsetof(struct task_struct, pending.signal) == 64,
	       "task_struct.pending offset");

/* The sandbox's exports (crates/sandbox/src/services/task.rs). */
#include <asm/current.h>

extern void schedule(void);
extern long schedule_timeout(long timeout);
extern int wake_up_process(struct task_struct *tsk);
extern int __cond_resched(void);
extern int __lkm_signal_pending(struct task_struct *p);

#define __set_current_state(state_value)				\
	do {								\
		WRITE_ONCE(current->__state, (state_value));		\
	} while (0)

/* A store with a full barrier, so the condition test that follows cannot pass it. */
#define set_current_state(state_value)					\
	do {								\
		WRITE_ONCE(current->__state, (state_value));		\
		__atomic_thread_fence(__ATOMIC_SEQ_CST);		\
	} while (0)

#define get_current_state()	READ_ONCE(current->__state)
#define task_is_running(task)	(READ_ONCE((task)->__state) == TASK_RUNNING)

/* Timed sleeps in a given state (exported by the time area). */
extern long schedule_timeout_interruptible(long timeout);
extern long schedule_timeout_killable(long timeout);
extern long schedule_timeout_uninterruptible(long timeout);
extern long schedule_timeout_idle(long timeout);

/* A voluntary preemption point (kernel.h's no-op version is replaced here). */
#undef cond_resched
#define cond_resched()	__cond_resched()

static inline void yield(void)
{
	__cond_resched();
}

static inline int signal_pending(struct task_struct *p)
{
	return unlikely(__lkm_signal_pending(p));
}

/* The only signal a sandbox task gets is the "go away" of a client that left. */
static inline int fatal_signal_pending(struct task_struct *p)
{
	return signal_pending(p);
}

static inline int signal_pending_state(unsigned int state, struct task_struct *p)
{
	if (!(state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL)))
		return 0;
	return signal_pending(p);
}

static inline pid_t task_pid_nr(struct task_struct *tsk)
{
	return tsk->pid;
}

static inline pid_t task_tgid_nr(struct task_struct *tsk)
{
	return tsk->tgid;
}

static inline unsigned int task_cpu(const struct task_struct *p)
{
	(void)p;
	return 0;
}

static inline int is_idle_task(const struct task_struct *p)
{
	return !!(p->flags & PF_IDLE);
}

/* Scheduling policy and priority: one CPU and the host's scheduler; accepted and ignored. */
static inline void set_user_nice(struct task_struct *p, long nice)
{
	(void)p; (void)nice;
}

static inline void sched_set_fifo(struct task_struct *p) { (void)p; }
static inline void sched_set_fifo_low(struct task_struct *p) { (void)p; }
static inline void sched_set_normal(struct task_struct *p, int nice) { (void)p; (void)nice; }

/*
 * Task references: the sandbox keeps a kthread's task_struct until
 * kthread_stop() (or its module's unload), so these need do nothing.
 */
static inline struct task_struct *get_task_struct(struct task_struct *t)
{
	return t;
}

static inline void put_task_struct(struct task_struct *t)
{
	(void)t;
}

#define get_task_comm(buf, tsk)	({						\
	_Static_assert(sizeof(buf) >= TASK_COMM_LEN, "get_task_comm buffer");	\
	__builtin_memcpy((buf), (tsk)->comm, TASK_COMM_LEN);			\
	(buf)[TASK_COMM_LEN - 1] = 0;						\
	(buf);									\
})

#endif /* _LINUX_SCHED_H */
