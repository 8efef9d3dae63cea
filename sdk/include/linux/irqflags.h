/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: interrupt flags.  The sandbox has no hard interrupts; "interrupts disabled" is a
 * per-thread flag kept by the kernel (exports __lkm_irq_*), so irqs_disabled() and the
 * sleeping-in-atomic report mean what they mean in Linux.  flags hold X86_EFLAGS_IF (0x200) when
 * interrupts were enabled.  Written for lkm.
 */
#ifndef _LINUX_TRACE_IRQFLAGS_H
#define _LINUX_TRACE_IRQFLAGS_H

#include <linux/typecheck.h>

extern unsigned long __lkm_irq_save(void);
extern void __lkm_irq_restore(unsigned long flags);
extern unsigned long __lkm_save_flags(void);
extern void __lkm_irq_disable(void);
extern void __lkm_irq_enable(void);

#define __LKM_X86_EFLAGS_IF	0x00000200UL

#define raw_local_irq_disable()		__lkm_irq_disable()
#define raw_local_irq_enable()		__lkm_irq_enable()
#define raw_local_irq_save(flags)			\
	do {						\
		typecheck(unsigned long, flags);	\
		flags = __lkm_irq_save();		\
	} while (0)
#define raw_local_irq_restore(flags)			\
	do {						\
		typecheck(unsigned long, flags);	\
		__lkm_irq_restore(flags);		\
	} while (0)
#define raw_local_save_flags(flags)			\
	do {						\
		typecheck(unsigned long, flags);	\
		flags = __lkm_save_flags();		\
	} while (0)
#define raw_irqs_disabled_flags(flags)			\
	({						\
		typecheck(unsigned long, flags);	\
		!((flags) & __LKM_X86_EFLAGS_IF);	\
	})
#define raw_irqs_disabled()	(!(__lkm_save_flags() & __LKM_X86_EFLAGS_IF))
#define raw_safe_halt()		do { } while (0)

#define local_irq_enable()		raw_local_irq_enable()
#define local_irq_disable()		raw_local_irq_disable()
#define local_irq_save(flags)		raw_local_irq_save(flags)
#define local_irq_restore(flags)	raw_local_irq_restore(flags)
#define local_save_flags(flags)		raw_local_save_flags(flags)
#define irqs_disabled()			raw_irqs_disabled()
#define irqs_disabled_flags(flags)	raw_irqs_disabled_flags(flags)
#define safe_halt()			raw_safe_halt()

#define local_irq_enable_in_hardirq()	do { } while (0)

#endif /* _LINUX_TRACE_IRQFLAGS_H */
