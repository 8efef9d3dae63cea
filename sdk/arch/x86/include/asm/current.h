/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: `current`, the running task.  Written for lkm; the sandbox keeps it per thread. */
#ifndef _ASM_X86_CURRENT_H
#define _ASM_X86_CURRENT_H

struct task_struct;
extern struct task_struct *get_current(void);
#define current get_current()

#endif
