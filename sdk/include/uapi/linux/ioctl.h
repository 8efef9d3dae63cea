/* lkm SDK */
#ifndef _UAPI_LINUX_IOCTL_H
#define _UAPI_LINUX_IOCTL_H
#include <asm/ioctl.h>
#endif
