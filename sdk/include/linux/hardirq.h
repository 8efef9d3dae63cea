/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: interrupt-context tests (the sandbox has no hard interrupts).  Written for lkm. */
#ifndef LINUX_HARDIRQ_H
#define LINUX_HARDIRQ_H

#include <linux/preempt.h>

#define irq_enter()		preempt_count_add(HARDIRQ_OFFSET)
#define irq_exit()		preempt_count_sub(HARDIRQ_OFFSET)
#define nmi_enter()		preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET)
#define nmi_exit()		preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET)

#endif /* LINUX_HARDIRQ_H */
