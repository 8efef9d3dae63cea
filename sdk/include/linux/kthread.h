/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: kernel threads.  Written for lkm with Linux 6.12's API.  Each
 * kthread is a host thread of the sandbox with its own task (PF_KTHREAD, its
 * name as comm).  A created thread sleeps until wake_up_process();
 * kthread_run() creates and wakes.  kthread_stop() sets the stop flag, wakes
 * the thread, waits for it to end and returns its exit value: what the thread
 * function returned, the code given to kthread_exit(), or -EINTR if it was
 * stopped before it ever ran.
 */
#ifndef _LINUX_KTHREAD_H
#define _LINUX_KTHREAD_H

#include <linux/err.h>
#include <linux/freezer.h>
#include <linux/numa.h>
#include <linux/sched.h>

struct completion;

__printf(4, 5)
struct task_struct *kthread_create_on_node(int (*threadfn)(void *data), void *data, int node,
					   const char namefmt[], ...);

/**
 * kthread_create - create a kthread on the current node
 * @threadfn: the function to run in the thread
 * @data: data pointer for @threadfn()
 * @namefmt: printf-style format string for the thread name
 * @arg: arguments for @namefmt.
 *
 * The thread sleeps until woken with wake_up_process().  Returns the task or
 * ERR_PTR(-ENOMEM).
 */
#define kthread_create(threadfn, data, namefmt, arg...) \
	kthread_create_on_node(threadfn, data, NUMA_NO_NODE, namefmt, ##arg)

struct task_struct *kthread_create_on_cpu(int (*threadfn)(void *data), void *data,
					  unsigned int cpu, const char *namefmt);

/**
 * kthread_run - create and wake a thread.
 *
 * Returns the task or ERR_PTR(-ENOMEM).
 */
#define kthread_run(threadfn, data, namefmt, ...)			   \
({									   \
	struct task_struct *__k						   \
		= kthread_create(threadfn, data, namefmt, ## __VA_ARGS__); \
	if (!IS_ERR(__k))						   \
		wake_up_process(__k);					   \
	__k;								   \
})

void kthread_bind(struct task_struct *k, unsigned int cpu);
int kthread_stop(struct task_struct *k);
int kthread_stop_put(struct task_struct *k);
bool kthread_should_stop(void);
bool kthread_should_park(void);
void *kthread_data(struct task_struct *k);
void *kthread_func(struct task_struct *k);
int kthread_park(struct task_struct *k);
void kthread_unpark(struct task_struct *k);
void kthread_parkme(void);
void __noreturn kthread_exit(long result);
void __noreturn kthread_complete_and_exit(struct completion *comp, long code);

static inline bool kthread_should_stop_or_park(void)
{
	return kthread_should_stop() || kthread_should_park();
}

/* Nothing freezes in the sandbox. */
static inline bool kthread_freezable_should_stop(bool *was_frozen)
{
	if (was_frozen)
		*was_frozen = false;
	return kthread_should_stop();
}

#endif /* _LINUX_KTHREAD_H */
