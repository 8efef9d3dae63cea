/* lkm SDK */
#include <asm-generic/ioctl.h>
