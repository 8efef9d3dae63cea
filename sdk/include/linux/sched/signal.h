/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: signals as tasks see them (signal_pending() lives in <linux/sched.h>).  Written for lkm. */
#ifndef _LINUX_SCHED_SIGNAL_H
#define _LINUX_SCHED_SIGNAL_H

#include <linux/sched.h>

/* Kernel threads that take signals: nothing is ever delivered to them in the sandbox. */
static inline void allow_signal(int sig) { (void)sig; }
static inline void disallow_signal(int sig) { (void)sig; }
static inline void flush_signals(struct task_struct *t) { (void)t; }

#endif /* _LINUX_SCHED_SIGNAL_H */
