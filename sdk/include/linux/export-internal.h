/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lkm SDK: the final export tables, emitted from <module>.mod.c.
 * Written for lkm.
 *
 * KSYMTAB_FUNC(sym, sec, ns) / KSYMTAB_DATA(sym, sec, ns), with sec "" or
 * "_gpl" and ns a string literal ("" for none), emit:
 *   - "sym\0" and "ns\0" in the mergeable string section __ksymtab_strings;
 *   - a 12-byte struct kernel_symbol { int value_offset, name_offset,
 *     namespace_offset; } in section "___ksymtab<sec>+<sym>", each field
 *     holding (target - &field).
 * scripts/module.lds gathers ___ksymtab+* into __ksymtab and
 * ___ksymtab_gpl+* into __ksymtab_gpl, sorted by name.
 */
#ifndef __LINUX_EXPORT_INTERNAL_H__
#define __LINUX_EXPORT_INTERNAL_H__

#include <linux/compiler.h>
#include <linux/types.h>

#define __LKM_KSYMTAB(name, sym, sec, ns)				\
	asm("	.section \"__ksymtab_strings\",\"aMS\",%progbits,1\n"	\
	    "__kstrtab_" #name ":\n"					\
	    "	.asciz \"" #name "\"\n"					\
	    "__kstrtabns_" #name ":\n"					\
	    "	.asciz \"" ns "\"\n"					\
	    "	.previous\n"						\
	    "	.section \"___ksymtab" sec "+" #name "\", \"a\"\n"	\
	    "	.balign 4\n"						\
	    "__ksymtab_" #name ":\n"					\
	    "	.long " #sym " - .\n"					\
	    "	.long __kstrtab_" #name " - .\n"			\
	    "	.long __kstrtabns_" #name " - .\n"			\
	    "	.previous\n")

#define KSYMTAB_FUNC(name, sec, ns)	__LKM_KSYMTAB(name, name, sec, ns)
#define KSYMTAB_DATA(name, sec, ns)	__LKM_KSYMTAB(name, name, sec, ns)

/* Symbol CRCs (CONFIG_MODVERSIONS) are not used by the sandbox. */
#define SYMBOL_CRC(sym, crc, sec)					\
	asm("	.section \"___kcrctab" sec "+" #sym "\",\"a\"\n"	\
	    "	.balign 4\n"						\
	    "__crc_" #sym ":\n"						\
	    "	.long " #crc "\n"					\
	    "	.previous\n")

#endif /* __LINUX_EXPORT_INTERNAL_H__ */
