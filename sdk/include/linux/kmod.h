/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lkm SDK: loading modules on demand.  Written for lkm.  The sandbox runs the program
 * /proc/sys/kernel/modprobe names (by default lkm's own modprobe on the sandbox's module tree)
 * with "-q -- <name>", as Linux does.
 */
#ifndef _LINUX_KMOD_H
#define _LINUX_KMOD_H

#include <linux/types.h>
#include <linux/compiler.h>

#define KMOD_PATH_LEN 256

/* Returns the helper's wait status when waiting (0: loaded, or nothing to do), or -errno. */
extern __printf(2, 3) int __request_module(bool wait, const char *name, ...);
#define request_module(mod...) __request_module(true, mod)
#define request_module_nowait(mod...) __request_module(false, mod)
#define try_then_request_module(x, mod...) ((x) ?: (__request_module(true, mod), (x)))

#endif /* _LINUX_KMOD_H */
