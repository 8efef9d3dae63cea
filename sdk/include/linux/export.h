/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lkm SDK: exporting symbols to other modules.  Written for lkm.
 *
 * EXPORT_SYMBOL*() records an entry in section ".export_symbol":
 *	__export_symbol_<sym>:  .asciz "<license>"  .asciz "<namespace>"
 *	                        .balign 8  .quad <sym>
 * modpost reads these entries from the module object and writes one
 * KSYMTAB_FUNC()/KSYMTAB_DATA() line per export into <module>.mod.c
 * (see <linux/export-internal.h>); the module linker script discards the
 * section.  This is the Linux 6.5+ scheme.
 */
#ifndef _LINUX_EXPORT_H
#define _LINUX_EXPORT_H

#include <linux/compiler.h>
#include <linux/linkage.h>
#include <linux/stringify.h>

#ifdef __ASSEMBLY__

#define __EXPORT_SYMBOL(sym, license, ns)			\
	.section ".export_symbol","a" ;				\
	__export_symbol_##sym: ;				\
	.asciz license ;					\
	.asciz ns ;						\
	.balign 8 ;						\
	.quad sym ;						\
	.previous

#else /* !__ASSEMBLY__ */

/* The module's own struct module, defined in <module>.mod.c by modpost. */
extern struct module __this_module;
#define THIS_MODULE (&__this_module)

#define __EXPORT_SYMBOL(sym, license, ns)			\
	extern typeof(sym) sym;					\
	__ADDRESSABLE(sym)					\
	asm("	.section \".export_symbol\",\"a\"\n"		\
	    "__export_symbol_" #sym ":\n"			\
	    "	.asciz \"" license "\"\n"			\
	    "	.asciz \"" ns "\"\n"				\
	    "	.balign 8\n"					\
	    "	.quad " #sym "\n"				\
	    "	.previous\n")

#endif /* __ASSEMBLY__ */

#ifdef DEFAULT_SYMBOL_NAMESPACE
#define _EXPORT_SYMBOL(sym, license)	\
	__EXPORT_SYMBOL(sym, license, __stringify(DEFAULT_SYMBOL_NAMESPACE))
#else
#define _EXPORT_SYMBOL(sym, license)	__EXPORT_SYMBOL(sym, license, "")
#endif

#define EXPORT_SYMBOL(sym)		_EXPORT_SYMBOL(sym, "")
#define EXPORT_SYMBOL_GPL(sym)		_EXPORT_SYMBOL(sym, "GPL")
/* In 6.12 the namespace is an identifier, not a string: EXPORT_SYMBOL_NS(f, MY_NS). */
#define EXPORT_SYMBOL_NS(sym, ns)	__EXPORT_SYMBOL(sym, "", __stringify(ns))
#define EXPORT_SYMBOL_NS_GPL(sym, ns)	__EXPORT_SYMBOL(sym, "GPL", __stringify(ns))

#endif /* _LINUX_EXPORT_H */
