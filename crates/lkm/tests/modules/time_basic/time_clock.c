// SPDX-License-Identifier: GPL-2.0
/* jiffies, conversions, delays, sleeps and clocks, measured in init. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/sched.h>

static int __init time_clock_init(void)
{
	unsigned long j0, j1;
	ktime_t t0, t1;
	struct timespec64 mono, real;
	u64 real_ns;

	/* jiffies advance by themselves: two reads 100 ms apart (busy-waiting). */
	j0 = jiffies;
	t0 = ktime_get();
	mdelay(100);
	j1 = jiffies;
	t1 = ktime_get();
	pr_info("time_clock: HZ=%d mdelay(100): jiffies+%lu in %lld ms\n", HZ, j1 - j0,
		ktime_to_ms(ktime_sub(t1, t0)));

	t0 = ktime_get();
	msleep(100);
	t1 = ktime_get();
	pr_info("time_clock: msleep(100) took %lld us\n", ktime_to_us(ktime_sub(t1, t0)));

	t0 = ktime_get();
	usleep_range(2000, 3000);
	udelay(500);
	ndelay(1000);
	t1 = ktime_get();
	pr_info("time_clock: usleep_range(2000)+udelay(500) took %lld us\n",
		ktime_us_delta(t1, t0));

	pr_info("time_clock: msecs_to_jiffies(100)=%lu usecs_to_jiffies(4001)=%lu jiffies_to_msecs(25)=%u jiffies_to_usecs(3)=%u\n",
		msecs_to_jiffies(100), usecs_to_jiffies(4001), jiffies_to_msecs(25),
		jiffies_to_usecs(3));
	pr_info("time_clock: time_after=%d time_before=%d time_after_eq=%d jiffies64_matches=%d initial_low32_wraps=%d\n",
		time_after(j1, j0), time_before(j1, j0), time_after_eq(j0, j0),
		get_jiffies_64() - jiffies_64 <= 1, (u32)INITIAL_JIFFIES == 0xfffedb08);

	ktime_get_ts64(&mono);
	ktime_get_real_ts64(&real);
	real_ns = ktime_get_real_ns();
	pr_info("time_clock: mono=%lld.%09ld boot_ns=%llu real=%lld.%09ld real_ns=%llu\n",
		mono.tv_sec, mono.tv_nsec, ktime_get_boottime_ns(), real.tv_sec, real.tv_nsec,
		real_ns);
	pr_info("time_clock: ns_to_ktime=%lld ktime_to_ms=%lld ktime_add=%lld timespec=%lld\n",
		ns_to_ktime(1500000), ktime_to_ms(ms_to_ktime(1234)),
		ktime_add(ns_to_ktime(1), ns_to_ktime(2)),
		timespec64_to_ns(&mono) <= ktime_get_ns());
	pr_info("time_clock: schedule_timeout_interruptible(5) left %ld\n",
		schedule_timeout_interruptible(5));
	return 0;
}

static void __exit time_clock_exit(void)
{
}

module_init(time_clock_init);
module_exit(time_clock_exit);
MODULE_LICENSE("GPL");
