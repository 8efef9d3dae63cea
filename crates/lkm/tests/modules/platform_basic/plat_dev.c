// SPDX-License-Identifier: GPL-2.0
/*
 * Platform devices (tests/platform.rs): a static one with a release function and platform data
 * (lkm_plat.1), one with an automatic id, one by platform_device_register_data (lkm_plat_alt), two
 * allocated ones whose probes fail (13: -ENODEV, 14: -ENOMEM), a duplicate name (-EEXIST), and one
 * with a memory resource (refused: the sandbox has no I/O memory).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/platform_device.h>
#include "plat_common.h"

MODULE_LICENSE("GPL");

static struct plat_info info = { .greeting = "hello", .number = 7 };
static struct plat_info alt_info = { .greeting = "alt", .number = 9 };

static void static_release(struct device *dev)
{
	pr_info("plat_dev: release %s\n", dev_name(dev));
}

static struct platform_device static_dev = {
	.name = "lkm_plat",
	.id = 1,
	.dev = {
		.platform_data = &info,
		.release = static_release,
	},
};

static struct resource regs = DEFINE_RES_MEM(0xfe000000, 0x1000);

static struct platform_device *auto_dev, *alt_dev, *dev13, *dev14;

static struct platform_device *alloc_added(int id)
{
	struct platform_device *p = platform_device_alloc("lkm_plat", id);
	int ret;

	if (!p)
		return NULL;
	ret = platform_device_add(p);
	pr_info("plat_dev: add %d: %d\n", id, ret);
	if (ret) {
		platform_device_put(p);
		return NULL;
	}
	return p;
}

static int __init plat_dev_init(void)
{
	struct platform_device *dup;
	int ret = platform_device_register(&static_dev);

	if (ret)
		return ret;
	auto_dev = platform_device_register_simple("lkm_plat", PLATFORM_DEVID_AUTO, NULL, 0);
	alt_dev = platform_device_register_data(NULL, "lkm_plat_alt", PLATFORM_DEVID_NONE,
						&alt_info, sizeof(alt_info));
	pr_info("plat_dev: auto %s, alt %s\n", dev_name(&auto_dev->dev), dev_name(&alt_dev->dev));
	/* The copy is the device's own. */
	alt_info.number = 0;
	dev13 = alloc_added(13);
	dev14 = alloc_added(14);
	dup = platform_device_register_simple("lkm_plat", 1, NULL, 0);
	pr_info("plat_dev: duplicate: %ld\n", PTR_ERR(dup));
	dup = platform_device_register_simple("lkm_plat", 20, &regs, 1);
	pr_info("plat_dev: with a resource: %ld\n", PTR_ERR(dup));
	return 0;
}

static void __exit plat_dev_exit(void)
{
	platform_device_unregister(dev14);
	platform_device_unregister(dev13);
	platform_device_unregister(alt_dev);
	platform_device_unregister(auto_dev);
	platform_device_unregister(&static_dev);
}

module_init(plat_dev_init);
module_exit(plat_dev_exit);
