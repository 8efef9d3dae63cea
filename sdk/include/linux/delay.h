/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: delays and sleeps (Linux 6.12's delay.h).  Written for lkm.
 * udelay/ndelay/mdelay busy-wait (allowed in atomic context); msleep,
 * usleep_range and ssleep sleep the current task through the scheduler's
 * protocol (docs/SDK-ABI.md), so wake_up_process() and signals reach them as
 * on Linux.  Sleeping in atomic context logs "BUG: scheduling while atomic".
 */
#ifndef _LINUX_DELAY_H
#define _LINUX_DELAY_H

#include <linux/math.h>
#include <linux/sched.h>
#include <linux/jiffies.h>

extern unsigned long loops_per_jiffy;

extern void __delay(unsigned long loops);
extern void __udelay(unsigned long usecs);
extern void __ndelay(unsigned long nsecs);
extern void __const_udelay(unsigned long xloops);

#ifndef MAX_UDELAY_MS
#define MAX_UDELAY_MS	5
#endif

#define udelay(n)	__udelay(n)
#define ndelay(n)	__ndelay(n)

#define mdelay(n) ({unsigned long __ms=(n); while (__ms--) udelay(1000);})

extern void msleep(unsigned int msecs);
extern unsigned long msleep_interruptible(unsigned int msecs);
extern void usleep_range_state(unsigned long min, unsigned long max, unsigned int state);

static inline void usleep_range(unsigned long min, unsigned long max)
{
	usleep_range_state(min, max, TASK_UNINTERRUPTIBLE);
}

static inline void usleep_idle_range(unsigned long min, unsigned long max)
{
	usleep_range_state(min, max, TASK_IDLE);
}

static inline void ssleep(unsigned int seconds)
{
	msleep(seconds * 1000);
}

/* Sleeps or waits the fitting way for a delay in microseconds. */
static inline void fsleep(unsigned long usecs)
{
	if (usecs <= 10)
		udelay(usecs);
	else if (usecs <= 20000)
		usleep_range(usecs, 2 * usecs);
	else
		msleep(DIV_ROUND_UP(usecs, 1000));
}

#endif /* _LINUX_DELAY_H */
