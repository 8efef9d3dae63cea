/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: interrupt-context helpers and tasklets (Linux 6.12's interrupt.h,
 * without hardware interrupts).  Written for lkm.  struct tasklet_struct has
 * Linux's layout (docs/SDK-ABI.md); the sandbox keeps the authoritative state
 * and mirrors state and count into it.  Tasklets run on the softirq thread
 * "ksoftirqd/0" in softirq context: a scheduled tasklet runs once however
 * often it was scheduled before running, a disabled one waits until enabled.
 */
#ifndef _LINUX_INTERRUPT_H
#define _LINUX_INTERRUPT_H

#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/container_of.h>
#include <linux/preempt.h>
#include <linux/hardirq.h>
#include <linux/bottom_half.h>
#include <linux/jiffies.h>

/* Interrupt handlers' return values (no hardware interrupts in the sandbox). */
enum irqreturn {
	IRQ_NONE		= (0 << 0),
	IRQ_HANDLED		= (1 << 0),
	IRQ_WAKE_THREAD		= (1 << 1),
};
typedef enum irqreturn irqreturn_t;
#define IRQ_RETVAL(x)	((x) ? IRQ_HANDLED : IRQ_NONE)

/* Softirq vectors, in the order the softirq thread serves them. */
enum
{
	HI_SOFTIRQ=0,
	TIMER_SOFTIRQ,
	NET_TX_SOFTIRQ,
	NET_RX_SOFTIRQ,
	BLOCK_SOFTIRQ,
	IRQ_POLL_SOFTIRQ,
	TASKLET_SOFTIRQ,
	SCHED_SOFTIRQ,
	HRTIMER_SOFTIRQ,
	RCU_SOFTIRQ,
	NR_SOFTIRQS
};

struct tasklet_struct
{
	struct tasklet_struct *next;		/* 0 */
	unsigned long state;			/* 8: TASKLET_STATE_* bits (mirrored) */
	atomic_t count;				/* 16: disable count (mirrored) */
	bool use_callback;			/* 20 */
	union {
		void (*func)(unsigned long data);
		void (*callback)(struct tasklet_struct *t);
	};					/* 24 */
	unsigned long data;			/* 32 */
};

_Static_assert(sizeof(struct tasklet_struct) == 40, "struct tasklet_struct is 40 bytes");
_Static_assert(__builtin_offsetof(struct tasklet_struct, count) == 16, "tasklet.count offset");
_Static_assert(__builtin_offsetof(struct tasklet_struct, use_callback) == 20, "tasklet.use_callback offset");
_Static_assert(__builtin_offsetof(struct tasklet_struct, func) == 24, "tasklet.func offset");
_Static_assert(__builtin_offsetof(struct tasklet_struct, data) == 32, "tasklet.data offset");

#define DECLARE_TASKLET(name, _callback)		\
struct tasklet_struct name = {				\
	.count = ATOMIC_INIT(0),			\
	.callback = _callback,				\
	.use_callback = true,				\
}

#define DECLARE_TASKLET_DISABLED(name, _callback)	\
struct tasklet_struct name = {				\
	.count = ATOMIC_INIT(1),			\
	.callback = _callback,				\
	.use_callback = true,				\
}

#define from_tasklet(var, callback_tasklet, tasklet_fieldname)	\
	container_of(callback_tasklet, typeof(*var), tasklet_fieldname)

#define DECLARE_TASKLET_OLD(name, _func)		\
struct tasklet_struct name = {				\
	.count = ATOMIC_INIT(0),			\
	.func = _func,					\
}

#define DECLARE_TASKLET_DISABLED_OLD(name, _func)	\
struct tasklet_struct name = {				\
	.count = ATOMIC_INIT(1),			\
	.func = _func,					\
}

enum
{
	TASKLET_STATE_SCHED,	/* Tasklet is scheduled for execution */
	TASKLET_STATE_RUN	/* Tasklet is running */
};

extern void tasklet_schedule(struct tasklet_struct *t);
extern void tasklet_hi_schedule(struct tasklet_struct *t);
extern void __tasklet_schedule(struct tasklet_struct *t);
extern void __tasklet_hi_schedule(struct tasklet_struct *t);

extern void tasklet_disable_nosync(struct tasklet_struct *t);
extern void tasklet_disable(struct tasklet_struct *t);
extern void tasklet_disable_in_atomic(struct tasklet_struct *t);
extern bool tasklet_enable(struct tasklet_struct *t);
extern void tasklet_unlock_wait(struct tasklet_struct *t);
extern void tasklet_unlock_spin_wait(struct tasklet_struct *t);

extern void tasklet_kill(struct tasklet_struct *t);
extern void tasklet_init(struct tasklet_struct *t,
			 void (*func)(unsigned long), unsigned long data);
extern void tasklet_setup(struct tasklet_struct *t,
			  void (*callback)(struct tasklet_struct *));

#endif /* _LINUX_INTERRUPT_H */
