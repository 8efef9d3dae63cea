/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: kernel user and group ids.  Written for lkm. */
#ifndef _LINUX_UIDGID_TYPES_H
#define _LINUX_UIDGID_TYPES_H

#include <linux/types.h>

typedef struct {
	uid_t val;
} kuid_t;

typedef struct {
	gid_t val;
} kgid_t;

#endif
