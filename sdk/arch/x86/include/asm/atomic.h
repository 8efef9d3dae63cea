/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: the atomics live in <linux/atomic.h>.  Written for lkm. */
#include <linux/atomic.h>
