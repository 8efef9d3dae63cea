/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: open(2) flags.  Written for lkm. */
#ifndef _LINUX_FCNTL_H
#define _LINUX_FCNTL_H

#include <uapi/asm-generic/fcntl.h>

#endif
