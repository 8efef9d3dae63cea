/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: the preemption counter and the context tests built on it.  Written
 * for lkm with Linux 6.12's bit layout (include/linux/preempt.h): preemption
 * bits 0-7, softirq 8-15, hardirq 16-19, NMI 20-23.  The counter is per host
 * thread, read with __lkm_preempt_count() (docs/SDK-ABI.md, "Tasks and
 * contexts").  Timer callbacks and tasklets run on the softirq thread with
 * SOFTIRQ_OFFSET added, so in_interrupt() and in_softirq() are true there.
 */
#ifndef _LINUX_PREEMPT_H
#define _LINUX_PREEMPT_H

#include <linux/compiler.h>

#define PREEMPT_BITS	8
#define SOFTIRQ_BITS	8
#define HARDIRQ_BITS	4
#define NMI_BITS	4

#define PREEMPT_SHIFT	0
#define SOFTIRQ_SHIFT	(PREEMPT_SHIFT + PREEMPT_BITS)
#define HARDIRQ_SHIFT	(SOFTIRQ_SHIFT + SOFTIRQ_BITS)
#define NMI_SHIFT	(HARDIRQ_SHIFT + HARDIRQ_BITS)

#define __IRQ_MASK(x)	((1UL << (x)) - 1)

#define PREEMPT_MASK	(__IRQ_MASK(PREEMPT_BITS) << PREEMPT_SHIFT)
#define SOFTIRQ_MASK	(__IRQ_MASK(SOFTIRQ_BITS) << SOFTIRQ_SHIFT)
#define HARDIRQ_MASK	(__IRQ_MASK(HARDIRQ_BITS) << HARDIRQ_SHIFT)
#define NMI_MASK	(__IRQ_MASK(NMI_BITS)     << NMI_SHIFT)

#define PREEMPT_OFFSET	(1UL << PREEMPT_SHIFT)
#define SOFTIRQ_OFFSET	(1UL << SOFTIRQ_SHIFT)
#define HARDIRQ_OFFSET	(1UL << HARDIRQ_SHIFT)
#define NMI_OFFSET	(1UL << NMI_SHIFT)

#define SOFTIRQ_DISABLE_OFFSET	(2 * SOFTIRQ_OFFSET)
#define PREEMPT_DISABLE_OFFSET	PREEMPT_OFFSET

/* The sandbox's exports (crates/sandbox/src/services/task.rs). */
extern unsigned int __lkm_preempt_count(void);
extern void preempt_count_add(int val);
extern void preempt_count_sub(int val);

#define preempt_count()		((int)__lkm_preempt_count())

#define nmi_count()		(preempt_count() & NMI_MASK)
#define hardirq_count()		(preempt_count() & HARDIRQ_MASK)
#define softirq_count()		(preempt_count() & SOFTIRQ_MASK)
#define irq_count()		(nmi_count() | hardirq_count() | softirq_count())

/*
 * in_nmi()		- We're in NMI context
 * in_hardirq()		- We're in hard IRQ context
 * in_serving_softirq()	- We're in softirq context
 * in_task()		- We're in task context
 * in_interrupt()	- We're in NMI, IRQ or softirq context, or softirqs are disabled
 * in_softirq()		- We have BH disabled, or are processing softirqs
 */
#define in_nmi()		(nmi_count())
#define in_hardirq()		(hardirq_count())
#define in_serving_softirq()	(softirq_count() & SOFTIRQ_OFFSET)
#define in_task()		(!(in_nmi() | in_hardirq() | in_serving_softirq()))
#define in_irq()		(hardirq_count())
#define in_softirq()		(softirq_count())
#define in_interrupt()		(irq_count())

/* Sleeping is not allowed: preemption or softirqs disabled, or in interrupt context. */
#define in_atomic()		(preempt_count() != 0)
#define in_atomic_preempt_off()	(preempt_count() != PREEMPT_DISABLE_OFFSET)

#define preempt_count_inc()	preempt_count_add(1)
#define preempt_count_dec()	preempt_count_sub(1)

#define preempt_disable() \
do { \
	preempt_count_inc(); \
	barrier(); \
} while (0)

#define sched_preempt_enable_no_resched() \
do { \
	barrier(); \
	preempt_count_dec(); \
} while (0)

#define preempt_enable_no_resched()	sched_preempt_enable_no_resched()

#define preempt_enable() \
do { \
	barrier(); \
	preempt_count_dec(); \
} while (0)

#define preempt_disable_notrace()		preempt_disable()
#define preempt_enable_no_resched_notrace()	preempt_enable_no_resched()
#define preempt_enable_notrace()		preempt_enable()
#define preemptible()				(preempt_count() == 0)
#define preempt_check_resched()			do { } while (0)

#define migrate_disable()	preempt_disable()
#define migrate_enable()	preempt_enable()

#endif /* _LINUX_PREEMPT_H */
