/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef __ASM_X86_BITSPERLONG_H
#define __ASM_X86_BITSPERLONG_H
#define __BITS_PER_LONG 64
#define __BITS_PER_LONG_LONG 64
#endif
