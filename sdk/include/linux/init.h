/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: init/exit sections and module_init()/module_exit().  Written for
 * lkm.  The sandbox frees .init.* after a module's init function returns.
 */
#ifndef _LINUX_INIT_H
#define _LINUX_INIT_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/stringify.h>
#include <linux/types.h>

/* Code and data used only while the module initialises. */
#define __init		__section(".init.text") __cold __latent_entropy __noinitretpoline notrace
#define __initdata	__section(".init.data")
#define __initconst	__section(".init.rodata")
/* Code and data used only when the module is removed. */
#define __exit		__section(".exit.text") __used __cold notrace
#define __exitdata	__section(".exit.data")
#define __exit_call	__used __section(".exitcall.exit")

/* Not checked by section-mismatch analysis in the SDK; kept for source compatibility. */
#define __ref		__section(".ref.text") noinline
#define __refdata	__section(".ref.data")
#define __refconst	__section(".ref.rodata")

#define __meminit
#define __meminitdata
#define __meminitconst
#define __memexit
#define __memexitdata

#define __HEAD		.section ".head.text","ax"
#define __INIT		.section ".init.text","ax"
#define __FINIT		.previous
#define __INITDATA	.section ".init.data","aw",%progbits
#define __INITRODATA	.section ".init.rodata","a",%progbits

#ifndef __ASSEMBLY__

typedef int (*initcall_t)(void);
typedef void (*exitcall_t)(void);

/* Modules are always unloadable here: the exit function is kept. */
#define __exit_p(x)	x

#ifndef MODULE
#error "lkm SDK: only modules are built with these headers (MODULE is not defined)"
#endif

/*
 * Each module has at most one module_init() and one module_exit().  They
 * make init_module/cleanup_module aliases of the given functions, which
 * modpost finds and records in struct module (.init / .exit).
 */
#define module_init(initfn)					\
	static inline initcall_t __maybe_unused __inittest(void)	\
	{ return initfn; }					\
	int init_module(void) __copy(initfn)			\
		__attribute__((alias(#initfn)));		\
	___ADDRESSABLE(init_module, __initdata)

#define module_exit(exitfn)					\
	static inline exitcall_t __maybe_unused __exittest(void)	\
	{ return exitfn; }					\
	void cleanup_module(void) __copy(exitfn)		\
		__attribute__((alias(#exitfn)));		\
	___ADDRESSABLE(cleanup_module, __exitdata)

/* In a module every initcall level is the module's init function. */
#define early_initcall(fn)		module_init(fn)
#define core_initcall(fn)		module_init(fn)
#define core_initcall_sync(fn)		module_init(fn)
#define postcore_initcall(fn)		module_init(fn)
#define postcore_initcall_sync(fn)	module_init(fn)
#define arch_initcall(fn)		module_init(fn)
#define subsys_initcall(fn)		module_init(fn)
#define subsys_initcall_sync(fn)	module_init(fn)
#define fs_initcall(fn)			module_init(fn)
#define fs_initcall_sync(fn)		module_init(fn)
#define rootfs_initcall(fn)		module_init(fn)
#define device_initcall(fn)		module_init(fn)
#define device_initcall_sync(fn)	module_init(fn)
#define late_initcall(fn)		module_init(fn)
#define late_initcall_sync(fn)		module_init(fn)
#define console_initcall(fn)		module_init(fn)

#endif /* __ASSEMBLY__ */

#endif /* _LINUX_INIT_H */
