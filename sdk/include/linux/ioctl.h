/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: ioctl numbers: _IO, _IOR, _IOW, _IOWR, _IOC_DIR/TYPE/NR/SIZE.  Written for lkm. */
#ifndef _LINUX_IOCTL_H
#define _LINUX_IOCTL_H

#include <asm/ioctl.h>

#endif
