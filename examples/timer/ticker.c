// SPDX-License-Identifier: GPL-2.0
/*
 * ticker: a periodic kernel timer.  Every `period_ms` milliseconds (a module
 * parameter, 500 by default) the timer callback logs a tick and re-arms
 * itself, `ticks` times in all.  The callback runs in softirq context: it
 * must not sleep.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/jiffies.h>
#include <linux/timer.h>
#include <linux/interrupt.h>

static unsigned int period_ms = 500;
module_param(period_ms, uint, 0644);
MODULE_PARM_DESC(period_ms, "Time between ticks in milliseconds");

static unsigned int ticks = 5;
module_param(ticks, uint, 0444);
MODULE_PARM_DESC(ticks, "How many ticks to log");

struct ticker {
	struct timer_list timer;
	unsigned int count;
	unsigned long started;
};

static struct ticker ticker;

static void ticker_fn(struct timer_list *t)
{
	struct ticker *tk = from_timer(tk, t, timer);

	tk->count++;
	pr_info("ticker: tick %u at +%u ms%s\n", tk->count,
		jiffies_to_msecs(jiffies - tk->started),
		in_interrupt() ? " (in softirq)" : "");
	if (tk->count < ticks)
		mod_timer(&tk->timer, jiffies + msecs_to_jiffies(period_ms));
	else
		pr_info("ticker: done\n");
}

static int __init ticker_init(void)
{
	ticker.started = jiffies;
	timer_setup(&ticker.timer, ticker_fn, 0);
	mod_timer(&ticker.timer, jiffies + msecs_to_jiffies(period_ms));
	pr_info("ticker: %u ticks every %u ms (HZ=%d)\n", ticks, period_ms, HZ);
	return 0;
}

static void __exit ticker_exit(void)
{
	/* Waits for a running callback; the timer can no longer fire afterwards. */
	timer_shutdown_sync(&ticker.timer);
	pr_info("ticker: stopped after %u ticks\n", ticker.count);
}

module_init(ticker_init);
module_exit(ticker_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A periodic kernel timer");
MODULE_AUTHOR("lkm");
