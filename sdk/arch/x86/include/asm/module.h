/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_MODULE_H
#define _ASM_X86_MODULE_H

/* Nothing architecture-specific is kept per module in the sandbox. */
struct mod_arch_specific {
};

#define MODULE_ARCH_INIT {}

#endif
