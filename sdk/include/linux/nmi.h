/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: the lockup detectors' touch functions (Linux 6.12's <linux/nmi.h>, the parts modules
 * use). A module that legitimately runs long without scheduling tells the soft-lockup watchdog it
 * is making progress. */
#ifndef _LINUX_NMI_H
#define _LINUX_NMI_H

extern void touch_softlockup_watchdog(void);
extern void touch_softlockup_watchdog_sched(void);
extern void touch_all_softlockup_watchdogs(void);

static inline void touch_nmi_watchdog(void)
{
	touch_softlockup_watchdog();
}

#endif /* _LINUX_NMI_H */
