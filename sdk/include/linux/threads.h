/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: the CPU count the sandbox presents (one CPU).  Written for lkm. */
#ifndef _LINUX_THREADS_H
#define _LINUX_THREADS_H

#include <generated/autoconf.h>

#define NR_CPUS		CONFIG_NR_CPUS

#endif /* _LINUX_THREADS_H */
