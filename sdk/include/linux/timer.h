/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: timers (Linux 6.12's timer.h).  Written for lkm.  struct
 * timer_list has Linux's layout without lockdep (docs/SDK-ABI.md, "Timers
 * and tasklets"); the sandbox keeps pending timers on its side, keeps
 * entry.pprev non-NULL while a timer is pending (what timer_pending() reads),
 * and calls function on its softirq thread "ksoftirqd/0", in softirq context,
 * in the tick where jiffies reaches expires.
 */
#ifndef _LINUX_TIMER_H
#define _LINUX_TIMER_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/container_of.h>
#include <linux/stddef.h>
#include <linux/jiffies.h>

struct timer_list {
	/*
	 * All fields that change during normal runtime grouped to the
	 * same cacheline
	 */
	struct hlist_node	entry;				/* 0 */
	unsigned long		expires;			/* 16 */
	void			(*function)(struct timer_list *); /* 24 */
	u32			flags;				/* 32 */
};

_Static_assert(sizeof(struct timer_list) == 40, "struct timer_list is 40 bytes");
_Static_assert(__builtin_offsetof(struct timer_list, expires) == 16, "timer_list.expires offset");
_Static_assert(__builtin_offsetof(struct timer_list, function) == 24, "timer_list.function offset");
_Static_assert(__builtin_offsetof(struct timer_list, flags) == 32, "timer_list.flags offset");

#define TIMER_CPUMASK		0x0003FFFF
#define TIMER_MIGRATING		0x00040000
#define TIMER_BASEMASK		(TIMER_CPUMASK | TIMER_MIGRATING)
#define TIMER_DEFERRABLE	0x00080000
#define TIMER_PINNED		0x00100000
#define TIMER_IRQSAFE		0x00200000
#define TIMER_INIT_FLAGS	(TIMER_DEFERRABLE | TIMER_PINNED | TIMER_IRQSAFE)
#define TIMER_ARRAYSHIFT	22
#define TIMER_ARRAYMASK		0xFFC00000

#define TIMER_TRACE_FLAGMASK	(TIMER_MIGRATING | TIMER_DEFERRABLE | TIMER_PINNED | TIMER_IRQSAFE)

#define TIMER_ENTRY_STATIC	((void *) 0x300 + 0xdead0000)

#define __TIMER_INITIALIZER(_function, _flags) {		\
		.entry = { .next = TIMER_ENTRY_STATIC },	\
		.function = (_function),			\
		.flags = (_flags),				\
	}

#define DEFINE_TIMER(_name, _function)				\
	struct timer_list _name =				\
		__TIMER_INITIALIZER(_function, 0)

struct lock_class_key;

extern void init_timer_key(struct timer_list *timer,
			   void (*func)(struct timer_list *), unsigned int flags,
			   const char *name, struct lock_class_key *key);

/**
 * timer_setup - prepare a timer for first use
 * @timer: the timer in question
 * @callback: the function to call when timer expires
 * @flags: any TIMER_* flags
 */
#define timer_setup(timer, callback, flags)			\
	init_timer_key((timer), (callback), (flags), NULL, NULL)

#define timer_setup_on_stack(timer, callback, flags)		\
	timer_setup((timer), (callback), (flags))

static inline void destroy_timer_on_stack(struct timer_list *timer) { }

#define from_timer(var, callback_timer, timer_fieldname) \
	container_of(callback_timer, typeof(*var), timer_fieldname)

#define timer_container_of(var, callback_timer, timer_fieldname) \
	container_of(callback_timer, typeof(*var), timer_fieldname)

/**
 * timer_pending - is a timer pending?
 * @timer: the timer in question
 *
 * Returns 1 if the timer is pending (armed and its function not yet called).
 */
static inline int timer_pending(const struct timer_list *timer)
{
	return READ_ONCE(timer->entry.pprev) != NULL;
}

extern void add_timer_on(struct timer_list *timer, int cpu);
extern int mod_timer(struct timer_list *timer, unsigned long expires);
extern int mod_timer_pending(struct timer_list *timer, unsigned long expires);
extern int timer_reduce(struct timer_list *timer, unsigned long expires);
extern void add_timer(struct timer_list *timer);

static inline void add_timer_local(struct timer_list *timer) { add_timer(timer); }
static inline void add_timer_global(struct timer_list *timer) { add_timer(timer); }

extern int try_to_del_timer_sync(struct timer_list *timer);
extern int timer_delete_sync(struct timer_list *timer);
extern int timer_delete(struct timer_list *timer);
extern int timer_shutdown_sync(struct timer_list *timer);
extern int timer_shutdown(struct timer_list *timer);

/* The pre-6.2 names. */
extern int del_timer(struct timer_list *timer);
extern int del_timer_sync(struct timer_list *timer);

#define del_singleshot_timer_sync(t) timer_delete_sync(t)

#endif /* _LINUX_TIMER_H */
