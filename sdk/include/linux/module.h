/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lkm SDK: what a loadable module sees of the module system.  Written for
 * lkm.  struct module is the sandbox's 512-byte layout described in
 * docs/SDK-ABI.md, not Linux's (modules only ever use THIS_MODULE and name).
 */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H

#include <linux/list.h>
#include <linux/stat.h>
#include <linux/compiler.h>
#include <linux/cache.h>
#include <linux/init.h>
#include <linux/stringify.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/moduleparam.h>
#include <linux/export.h>
#include <linux/kmod.h>
#include <asm/module.h>

#define MODULE_NAME_LEN MAX_PARAM_PREFIX_LEN

enum module_state {
	MODULE_STATE_LIVE,	/* normal state */
	MODULE_STATE_COMING,	/* being initialised */
	MODULE_STATE_GOING,	/* being removed */
	MODULE_STATE_UNFORMED,	/* still being set up by the loader */
};

/*
 * Section .gnu.linkonce.this_module holds exactly one of these, defined
 * by modpost in <module>.mod.c.  The loader reads init/exit after
 * relocation and owns every other field.
 */
struct module {
	enum module_state state;		/* 0 */
	struct list_head list;			/* 8 */
	char name[MODULE_NAME_LEN];		/* 24 */
	int (*init)(void);			/* 80 */
	void (*exit)(void);			/* 88 */
	void *lkm_private;			/* 96: the host's handle */
	struct mod_arch_specific arch;		/* empty */
	unsigned long __lkm_reserved[51];	/* 104..511: zero */
} ____cacheline_aligned;

_Static_assert(sizeof(struct module) == 512, "struct module must be 512 bytes");
_Static_assert(__alignof__(struct module) == 64, "struct module must be 64-byte aligned");
_Static_assert(__builtin_offsetof(struct module, state) == 0, "module.state offset");
_Static_assert(__builtin_offsetof(struct module, list) == 8, "module.list offset");
_Static_assert(__builtin_offsetof(struct module, name) == 24, "module.name offset");
_Static_assert(__builtin_offsetof(struct module, init) == 80, "module.init offset");
_Static_assert(__builtin_offsetof(struct module, exit) == 88, "module.exit offset");
_Static_assert(__builtin_offsetof(struct module, lkm_private) == 96, "module.lkm_private offset");

/* Defined as aliases by module_init()/module_exit(). */
extern int init_module(void);
extern void cleanup_module(void);

/* Generic info of form tag = "info" in .modinfo. */
#define MODULE_INFO(tag, info) __MODULE_INFO(tag, tag, info)

/*
 * The license decides which exports the module may use and whether the
 * kernel is tainted: "GPL", "GPL v2", "GPL and additional rights",
 * "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL" count as free software;
 * "Proprietary" (or anything else) does not.
 */
#define MODULE_LICENSE(_license)	MODULE_INFO(license, _license)
/* "Name <email>"; use several lines for several authors. */
#define MODULE_AUTHOR(_author)		MODULE_INFO(author, _author)
#define MODULE_DESCRIPTION(_description) MODULE_INFO(description, _description)
#define MODULE_VERSION(_version)	MODULE_INFO(version, _version)
/* Another name modprobe may use for this module. */
#define MODULE_ALIAS(_alias)		MODULE_INFO(alias, _alias)
/* "pre: a b post: c" style soft dependencies. */
#define MODULE_SOFTDEP(_softdep)	MODULE_INFO(softdep, _softdep)
#define MODULE_WEAKDEP(_weakdep)	MODULE_INFO(weakdep, _weakdep)
#define MODULE_FIRMWARE(_firmware)	MODULE_INFO(firmware, _firmware)
/* Allows use of symbols exported in namespace ns (an identifier in 6.12). */
#define MODULE_IMPORT_NS(ns)		MODULE_INFO(import_ns, __stringify(ns))

/* Device tables are not used for autoloading yet: only checks that the table exists. */
#define MODULE_DEVICE_TABLE(type, name)	\
	_Static_assert(sizeof(name) > 0, "MODULE_DEVICE_TABLE(" #type ", " #name ")")

/* Reference counting of modules (the sandbox's exports). */
extern bool try_module_get(struct module *module);
extern void module_put(struct module *module);
extern void __module_get(struct module *module);
extern int module_refcount(struct module *mod);

#define module_name(mod) ((mod) ? (mod)->name : "kernel")
#define module_is_live(mod) ((mod)->state != MODULE_STATE_GOING)

/*
 * symbol_get(x): the address of the exported symbol x (declared by the caller), holding a
 * reference on the module that exports it, or NULL if no module exports it now.  Only
 * EXPORT_SYMBOL_GPL symbols can be taken (as since Linux 6.6).  symbol_put(x) drops the reference.
 */
extern void *__symbol_get(const char *symbol);
extern void __symbol_put(const char *symbol);
#define symbol_get(x) ((typeof(&x))(__symbol_get(__stringify(x))))
#define symbol_put(x) __symbol_put(__stringify(x))

#endif /* _LINUX_MODULE_H */
