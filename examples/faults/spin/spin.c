// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose init spins without ever sleeping or calling cond_resched(). On Linux the CPU is
 * lost to it; the soft-lockup watchdog reports it every 2 * watchdog_thresh seconds. Nothing can
 * stop it: halt the (sandbox) kernel.
 */
#include <linux/module.h>
#include <linux/kernel.h>

static volatile unsigned long spins;

static noinline void spin_forever(void)
{
	for (;;)
		spins++;
}

static int __init spin_init(void)
{
	pr_info("spin: spinning in init\n");
	spin_forever();
	return 0;
}

module_init(spin_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Spins forever in init: a soft lockup");
