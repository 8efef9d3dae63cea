/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: build salt.  The sandbox records none; BUILD_SALT is a no-op declaration. */
#ifndef __BUILD_SALT_H
#define __BUILD_SALT_H
#define BUILD_SALT	_Static_assert(1, "build salt")
#endif
