/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: disabling bottom halves (Linux 6.12's bottom_half.h).  Written for
 * lkm.  local_bh_disable() adds SOFTIRQ_DISABLE_OFFSET to this task's
 * preemption count (in_softirq() and in_atomic() become true).  Softirqs run
 * on their own thread, as on another CPU, so this orders nothing against
 * them by itself: use spin_lock_bh() or another lock for data shared with
 * timers and tasklets, as on SMP Linux.
 */
#ifndef _LINUX_BH_H
#define _LINUX_BH_H

#include <linux/preempt.h>

static inline void local_bh_disable(void)
{
	preempt_count_add(SOFTIRQ_DISABLE_OFFSET);
	barrier();
}

static inline void local_bh_enable(void)
{
	barrier();
	preempt_count_sub(SOFTIRQ_DISABLE_OFFSET);
}

static inline void _local_bh_enable(void)
{
	local_bh_enable();
}

#endif /* _LINUX_BH_H */
