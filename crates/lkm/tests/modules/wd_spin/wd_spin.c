// SPDX-License-Identifier: GPL-2.0
/* Spins in init without ever sleeping: the soft-lockup watchdog reports it, RIP in wd_spin_loop. */
#include <linux/module.h>
#include <linux/kernel.h>

static volatile unsigned long wd_spins;

static noinline void wd_spin_loop(void)
{
	for (;;)
		wd_spins++;
}

static int __init wd_spin_init(void)
{
	pr_info("wd_spin: spinning\n");
	wd_spin_loop();
	return 0;
}

module_init(wd_spin_init);
MODULE_LICENSE("GPL");
