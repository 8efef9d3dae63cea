// SPDX-License-Identifier: GPL-2.0
/* helper.c - second part of foo.ko; KBUILD_MODNAME is "foo" here too. */
#include <linux/kernel.h>
#include "foo.h"

int foo_square(int x)
{
	return x * x * FOO_SCALE;
}

const char *foo_helper_basename(void)
{
	return KBUILD_BASENAME;
}
