/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FOO_H
#define FOO_H

int foo_square(int x);
const char *foo_helper_basename(void);

#endif
