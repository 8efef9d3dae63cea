// SPDX-License-Identifier: GPL-2.0
#include <linux/kernel.h>

const char *kb_word(void)
{
	return KB_WORD;
}
