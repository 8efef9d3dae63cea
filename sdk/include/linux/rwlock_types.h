/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: rwlock_t is defined with the spinlock types.  Written for lkm. */
#include <linux/spinlock_types.h>
