/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: signal sets as a task holds them (x86-64: 64 signals, one word).  Written for lkm. */
#ifndef _LINUX_SIGNAL_TYPES_H
#define _LINUX_SIGNAL_TYPES_H

#include <linux/types.h>
#include <linux/list.h>

#define _NSIG		64
#define _NSIG_BPW	64
#define _NSIG_WORDS	(_NSIG / _NSIG_BPW)

typedef struct {
	unsigned long sig[_NSIG_WORDS];
} sigset_t;

/* Pending signals: bit n - 1 of signal.sig[0] for signal n. */
struct sigpending {
	struct list_head list;
	sigset_t signal;
};

#endif
