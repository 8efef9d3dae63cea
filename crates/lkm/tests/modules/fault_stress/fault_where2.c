// SPDX-License-Identifier: GPL-2.0
/* fault_where under another name, so that a kernel can hold both pinned by an oops. */
#include "fault_where.c"
