/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __ASM_LKM_BITSPERLONG_H
#define __ASM_LKM_BITSPERLONG_H
#include <uapi/asm/bitsperlong.h>
#define BITS_PER_LONG		__BITS_PER_LONG
#define BITS_PER_LONG_LONG	__BITS_PER_LONG_LONG
#endif
