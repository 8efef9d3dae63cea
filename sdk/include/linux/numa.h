/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: NUMA nodes (the sandbox has one).  Written for lkm. */
#ifndef _LINUX_NUMA_H
#define _LINUX_NUMA_H

#define MAX_NUMNODES	1
#define NUMA_NO_NODE	(-1)

#define numa_node_id()		0
#define cpu_to_node(cpu)	((void)(cpu), 0)

#endif /* _LINUX_NUMA_H */
