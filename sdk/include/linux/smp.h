/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: the CPU a task runs on.  Written for lkm.  The sandbox presents
 * one CPU (CONFIG_NR_CPUS = 1): every task is on CPU 0.
 */
#ifndef __LINUX_SMP_H
#define __LINUX_SMP_H

#include <linux/types.h>
#include <linux/preempt.h>
#include <linux/cpumask.h>

#define raw_smp_processor_id()		0
#define smp_processor_id()		0
#define __smp_processor_id()		0

#define get_cpu()		({ preempt_disable(); smp_processor_id(); })
#define put_cpu()		preempt_enable()

typedef void (*smp_call_func_t)(void *info);

/* Runs func on every CPU, i.e. here, now. */
static inline void on_each_cpu(smp_call_func_t func, void *info, int wait)
{
	(void)wait;
	preempt_disable();
	func(info);
	preempt_enable();
}

static inline int smp_call_function_single(int cpu, smp_call_func_t func, void *info, int wait)
{
	(void)wait;
	if (cpu != 0)
		return -6;	/* -ENXIO */
	preempt_disable();
	func(info);
	preempt_enable();
	return 0;
}

#endif /* __LINUX_SMP_H */
