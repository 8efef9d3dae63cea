// SPDX-License-Identifier: GPL-2.0
/* A static platform device without a release function (tests/platform.rs): Linux complains. */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/platform_device.h>

MODULE_LICENSE("GPL");

static struct platform_device bare = { .name = "lkm_bare", .id = PLATFORM_DEVID_NONE };

static int __init plat_norelease_init(void)
{
	return platform_device_register(&bare);
}

static void __exit plat_norelease_exit(void)
{
	platform_device_unregister(&bare);
}

module_init(plat_norelease_init);
module_exit(plat_norelease_exit);
