/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* lkm SDK: fixed-size integer types exported to user space (LP64). */
#ifndef _UAPI_ASM_GENERIC_INT_LL64_H
#define _UAPI_ASM_GENERIC_INT_LL64_H

#ifndef __ASSEMBLY__
typedef __signed__ char		__s8;
typedef unsigned char		__u8;
typedef __signed__ short	__s16;
typedef unsigned short		__u16;
typedef __signed__ int		__s32;
typedef unsigned int		__u32;
__extension__ typedef __signed__ long long	__s64;
__extension__ typedef unsigned long long	__u64;
#endif

#endif
