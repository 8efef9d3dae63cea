/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: CPU masks, minimal.  Written for lkm.  The sandbox presents one
 * CPU, number 0, always online; the iterators visit it once.
 */
#ifndef _LINUX_CPUMASK_H
#define _LINUX_CPUMASK_H

#include <linux/threads.h>
#include <linux/types.h>

#define nr_cpu_ids		1U
#define num_online_cpus()	1U
#define num_possible_cpus()	1U
#define num_present_cpus()	1U
#define num_active_cpus()	1U

#define cpu_online(cpu)		((cpu) == 0)
#define cpu_possible(cpu)	((cpu) == 0)
#define cpu_present(cpu)	((cpu) == 0)
#define cpu_active(cpu)		((cpu) == 0)

#define for_each_cpu_one(cpu)	for ((cpu) = 0; (cpu) < 1; (cpu)++)
#define for_each_possible_cpu(cpu)	for_each_cpu_one(cpu)
#define for_each_online_cpu(cpu)	for_each_cpu_one(cpu)
#define for_each_present_cpu(cpu)	for_each_cpu_one(cpu)

#endif /* _LINUX_CPUMASK_H */
