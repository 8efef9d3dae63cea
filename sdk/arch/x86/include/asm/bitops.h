/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: the bit operations live in <linux/bitops.h>.  Written for lkm. */
#include <linux/bitops.h>
