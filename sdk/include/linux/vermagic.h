/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: the version magic every module records in .modinfo. */
#ifndef _LINUX_VERMAGIC_H
#define _LINUX_VERMAGIC_H

/*
 * Linux 6.12 refuses inclusion unless INCLUDE_VERMAGIC is defined (modpost
 * writes that define at the top of each .mod.c).  The SDK does not insist.
 */

#include <generated/utsrelease.h>

#define MODULE_VERMAGIC_SMP		"SMP "
#define MODULE_VERMAGIC_PREEMPT		"preempt "
#define MODULE_VERMAGIC_MODULE_UNLOAD	"mod_unload "
#define MODULE_VERMAGIC_MODVERSIONS	""
#define MODULE_ARCH_VERMAGIC		""
#define MODULE_RANDSTRUCT		""

/* The loader compares this byte for byte: "6.12.0-lkm SMP preempt mod_unload " */
#define VERMAGIC_STRING							\
	UTS_RELEASE " "							\
	MODULE_VERMAGIC_SMP MODULE_VERMAGIC_PREEMPT			\
	MODULE_VERMAGIC_MODULE_UNLOAD MODULE_VERMAGIC_MODVERSIONS	\
	MODULE_ARCH_VERMAGIC MODULE_RANDSTRUCT

#endif /* _LINUX_VERMAGIC_H */
