/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: task references (get_task_struct/put_task_struct are in <linux/sched.h>).  Written for lkm. */
#ifndef _LINUX_SCHED_TASK_H
#define _LINUX_SCHED_TASK_H

#include <linux/sched.h>

#endif /* _LINUX_SCHED_TASK_H */
