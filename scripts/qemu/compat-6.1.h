/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included (KCFLAGS=-include) when the QEMU test builds examples/chardev against Debian 12's
 * Linux 6.1 headers. The example is written for the API lkm's SDK presents (Linux 6.12), where
 * class_create() takes only the class name (since 6.4); 6.1's takes the owner module too. The
 * example's source stays as it is. (Its devnode callback takes a const device since 6.2; 6.1's
 * pointer type differs only in that qualifier, so -Wno-error=incompatible-pointer-types suffices.)
 */
#include <linux/module.h>
#include <linux/device.h>
#undef class_create
#define class_create(name) ({					\
	static struct lock_class_key __lkm_key;			\
	__class_create(THIS_MODULE, (name), &__lkm_key);	\
})
