/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_LINKAGE_H
#define _LINUX_LINKAGE_H

#include <linux/compiler_types.h>
#include <linux/stringify.h>

#ifdef __cplusplus
#define CPP_ASMLINKAGE extern "C"
#else
#define CPP_ASMLINKAGE
#endif

#ifndef asmlinkage
#define asmlinkage CPP_ASMLINKAGE
#endif

#ifdef __ASSEMBLY__
/* Minimal symbol annotations for .S files in modules. */
#define SYM_FUNC_START(name)	.globl name ; .type name, @function ; .p2align 4 ; name:
#define SYM_FUNC_START_LOCAL(name)	.type name, @function ; .p2align 4 ; name:
#define SYM_FUNC_END(name)	.size name, . - name
#define SYM_DATA_START(name)	.globl name ; name:
#define SYM_DATA_END(name)	.type name, @object ; .size name, . - name
#define SYM_CODE_START(name)	.globl name ; .p2align 4 ; name:
#define SYM_CODE_END(name)	.type name, @function ; .size name, . - name
#define RET			ret
#endif

#endif
