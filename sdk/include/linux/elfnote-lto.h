/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: LTO marker note.  No LTO in the SDK; BUILD_LTO_INFO is a no-op declaration. */
#ifndef __ELFNOTE_LTO_H
#define __ELFNOTE_LTO_H
#define BUILD_LTO_INFO	_Static_assert(1, "no LTO")
#endif
