/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: work queues.  Written for lkm with Linux 6.12's API and its
 * struct work_struct / struct delayed_work layouts (docs/SDK-ABI.md, "Kernel
 * threads and work queues").  Work runs on worker threads of the sandbox,
 * tasks named kworker/0:N (per-CPU queues) or kworker/u2:N (unbound and
 * ordered queues).  Bit 0 of work->data is WORK_STRUCT_PENDING, kept by the
 * sandbox; the other bits are zero.  struct workqueue_struct is opaque.
 */
#ifndef _LINUX_WORKQUEUE_H
#define _LINUX_WORKQUEUE_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/bits.h>
#include <linux/threads.h>
#include <linux/stddef.h>
#include <linux/container_of.h>

#if __has_include(<linux/timer.h>)
#include <linux/timer.h>
#else
/* Linux's layout, until <linux/timer.h> is in the SDK. */
struct timer_list {
	struct hlist_node	entry;
	unsigned long		expires;
	void			(*function)(struct timer_list *);
	u32			flags;
};
#endif

struct workqueue_struct;
struct work_struct;

typedef void (*work_func_t)(struct work_struct *work);

#define work_data_bits(work) ((unsigned long *)(&(work)->data))

enum work_bits {
	WORK_STRUCT_PENDING_BIT	= 0,	/* work item is pending execution */
	WORK_STRUCT_INACTIVE_BIT,	/* work item is inactive */
	WORK_STRUCT_PWQ_BIT,		/* data points to pwq */
	WORK_STRUCT_LINKED_BIT,		/* next work is linked to this one */
};

enum work_flags {
	WORK_STRUCT_PENDING	= 1 << WORK_STRUCT_PENDING_BIT,
	WORK_STRUCT_INACTIVE	= 1 << WORK_STRUCT_INACTIVE_BIT,
	WORK_STRUCT_PWQ		= 1 << WORK_STRUCT_PWQ_BIT,
	WORK_STRUCT_LINKED	= 1 << WORK_STRUCT_LINKED_BIT,
};

enum wq_misc_consts {
	WORK_NR_COLORS		= 16,
	/* not bound to any CPU, prefer the local CPU */
	WORK_CPU_UNBOUND	= NR_CPUS,
	/* bit mask for work_busy() return values */
	WORK_BUSY_PENDING	= 1 << 0,
	WORK_BUSY_RUNNING	= 1 << 1,
	/* maximum string length for set_worker_desc() */
	WORKER_DESC_LEN		= 32,
};

struct work_struct {
	atomic_long_t data;		/* 0: WORK_STRUCT_PENDING in bit 0 */
	struct list_head entry;		/* 8: unused by the sandbox (its queues are its own) */
	work_func_t func;		/* 24 */
};

_Static_assert(sizeof(struct work_struct) == 32, "struct work_struct must be 32 bytes");
_Static_assert(__builtin_offsetof(struct work_struct, func) == 24, "work_struct.func offset");

#define WORK_DATA_INIT()	{ 0 }
#define WORK_DATA_STATIC_INIT()	{ 0 }

struct delayed_work {
	struct work_struct work;
	struct timer_list timer;	/* Linux's layout; the sandbox times delays itself */
	/* target workqueue and CPU ->timer uses to queue ->work */
	struct workqueue_struct *wq;
	int cpu;
};

_Static_assert(__builtin_offsetof(struct delayed_work, work) == 0, "delayed_work.work offset");
_Static_assert(__builtin_offsetof(struct delayed_work, timer) == 32, "delayed_work.timer offset");

static inline struct delayed_work *to_delayed_work(struct work_struct *work)
{
	return container_of(work, struct delayed_work, work);
}

#define __WORK_INITIALIZER(n, f) {					\
	.data = WORK_DATA_STATIC_INIT(),				\
	.entry	= { &(n).entry, &(n).entry },				\
	.func = (f),							\
	}

#define __DELAYED_WORK_INITIALIZER(n, f, tflags) {			\
	.work = __WORK_INITIALIZER((n).work, (f)),			\
	.timer = { },							\
	.wq = NULL,							\
	.cpu = 0,							\
	}

#define DECLARE_WORK(n, f)						\
	struct work_struct n = __WORK_INITIALIZER(n, f)

#define DECLARE_DELAYED_WORK(n, f)					\
	struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f, 0)

#define DECLARE_DEFERRABLE_WORK(n, f)					\
	struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f, 0)

#define __INIT_WORK(_work, _func, _onstack)				\
	do {								\
		(_work)->data.counter = 0;				\
		INIT_LIST_HEAD(&(_work)->entry);			\
		(_work)->func = (_func);				\
	} while (0)

#define INIT_WORK(_work, _func)						\
	__INIT_WORK((_work), (_func), 0)

#define INIT_WORK_ONSTACK(_work, _func)					\
	__INIT_WORK((_work), (_func), 1)

static inline void destroy_work_on_stack(struct work_struct *work) { (void)work; }
static inline void destroy_delayed_work_on_stack(struct delayed_work *work) { (void)work; }

#define __INIT_DELAYED_WORK(_work, _func, _tflags)			\
	do {								\
		INIT_WORK(&(_work)->work, (_func));			\
		__builtin_memset(&(_work)->timer, 0, sizeof((_work)->timer)); \
		(_work)->wq = NULL;					\
		(_work)->cpu = 0;					\
	} while (0)

#define INIT_DELAYED_WORK(_work, _func)					\
	__INIT_DELAYED_WORK(_work, _func, 0)

#define INIT_DELAYED_WORK_ONSTACK(_work, _func)				\
	__INIT_DELAYED_WORK(_work, _func, 0)

#define INIT_DEFERRABLE_WORK(_work, _func)				\
	__INIT_DELAYED_WORK(_work, _func, 0)

/**
 * work_pending - Find out whether a work item is currently pending
 * @work: The work item in question
 */
#define work_pending(work) \
	((READ_ONCE(*work_data_bits(work)) & WORK_STRUCT_PENDING) != 0)

/**
 * delayed_work_pending - Find out whether a delayable work item is currently
 * pending
 * @w: The work item in question
 */
#define delayed_work_pending(w) \
	work_pending(&(w)->work)

/* Workqueue flags and constants (Linux 6.12's values). */
enum wq_flags {
	WQ_BH			= 1 << 0,  /* execute in bottom half (softirq) context */
	WQ_UNBOUND		= 1 << 1,  /* not bound to any cpu */
	WQ_FREEZABLE		= 1 << 2,  /* freeze during suspend */
	WQ_MEM_RECLAIM		= 1 << 3,  /* may be used for memory reclaim */
	WQ_HIGHPRI		= 1 << 4,  /* high priority */
	WQ_CPU_INTENSIVE	= 1 << 5,  /* cpu intensive workqueue */
	WQ_SYSFS		= 1 << 6,  /* visible in sysfs */
	WQ_POWER_EFFICIENT	= 1 << 7,

	__WQ_DESTROYING		= 1 << 15, /* internal: workqueue is destroying */
	__WQ_DRAINING		= 1 << 16, /* internal: workqueue is draining */
	__WQ_ORDERED		= 1 << 17, /* internal: workqueue is ordered */
	__WQ_LEGACY		= 1 << 18, /* internal: create*_workqueue() */

	/* BH wq only allows the following flags */
	__WQ_BH_ALLOWS		= WQ_BH | WQ_HIGHPRI,
};

enum wq_consts {
	WQ_MAX_ACTIVE		= 512,	  /* I like 512, better ideas? */
	WQ_UNBOUND_MAX_ACTIVE	= WQ_MAX_ACTIVE,
	WQ_DFL_ACTIVE		= WQ_MAX_ACTIVE / 2,

	/* per-CPU work items with a min_active of 8 */
	WQ_DFL_MIN_ACTIVE	= 8,
};

/* The system-wide queues (data exports of the sandbox). */
extern struct workqueue_struct *system_wq;
extern struct workqueue_struct *system_highpri_wq;
extern struct workqueue_struct *system_long_wq;
extern struct workqueue_struct *system_unbound_wq;
extern struct workqueue_struct *system_freezable_wq;
extern struct workqueue_struct *system_power_efficient_wq;
extern struct workqueue_struct *system_freezable_power_efficient_wq;

/**
 * alloc_workqueue - allocate a workqueue
 * @fmt: printf format for the name of the workqueue
 * @flags: WQ_* flags
 * @max_active: max in-flight work items, 0 for default
 * @...: args for @fmt
 *
 * Returns a pointer to the allocated workqueue on success, %NULL on failure.
 */
__printf(1, 4) struct workqueue_struct *
alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...);

/**
 * alloc_ordered_workqueue - allocate an ordered workqueue: at most one work
 * item runs at any given time, in the queued order.
 */
#define alloc_ordered_workqueue(fmt, flags, args...)			\
	alloc_workqueue(fmt, WQ_UNBOUND | __WQ_ORDERED | (flags), 1, ##args)

#define create_workqueue(name)						\
	alloc_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, 1, (name))
#define create_freezable_workqueue(name)				\
	alloc_workqueue("%s", __WQ_LEGACY | WQ_FREEZABLE | WQ_UNBOUND |	\
			WQ_MEM_RECLAIM, 1, (name))
#define create_singlethread_workqueue(name)				\
	alloc_ordered_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, name)

extern void destroy_workqueue(struct workqueue_struct *wq);

extern bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work);
extern bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq,
				  struct delayed_work *work, unsigned long delay);
extern bool mod_delayed_work_on(int cpu, struct workqueue_struct *wq,
				struct delayed_work *dwork, unsigned long delay);

extern void __flush_workqueue(struct workqueue_struct *wq);
extern void drain_workqueue(struct workqueue_struct *wq);

extern bool flush_work(struct work_struct *work);
extern bool cancel_work(struct work_struct *work);
extern bool cancel_work_sync(struct work_struct *work);

extern bool flush_delayed_work(struct delayed_work *dwork);
extern bool cancel_delayed_work(struct delayed_work *dwork);
extern bool cancel_delayed_work_sync(struct delayed_work *dwork);

extern struct work_struct *current_work(void);

/**
 * queue_work - queue work on a workqueue
 *
 * Returns %false if @work was already on a queue, %true otherwise.
 */
static inline bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	return queue_work_on(WORK_CPU_UNBOUND, wq, work);
}

static inline bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
				      unsigned long delay)
{
	return queue_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
}

static inline bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
				    unsigned long delay)
{
	return mod_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
}

static inline bool schedule_work_on(int cpu, struct work_struct *work)
{
	return queue_work_on(cpu, system_wq, work);
}

static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

static inline bool schedule_delayed_work_on(int cpu, struct delayed_work *dwork,
					    unsigned long delay)
{
	return queue_delayed_work_on(cpu, system_wq, dwork, delay);
}

static inline bool schedule_delayed_work(struct delayed_work *dwork, unsigned long delay)
{
	return queue_delayed_work(system_wq, dwork, delay);
}

/* flush_workqueue - wait until all work queued on @wq before the call has finished. */
#define flush_workqueue(wq)	__flush_workqueue(wq)

/* Linux 6.12 warns that this is deprecated; it still waits for system_wq. */
#define flush_scheduled_work()	__flush_workqueue(system_wq)

#endif /* _LINUX_WORKQUEUE_H */
