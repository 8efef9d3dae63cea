// SPDX-License-Identifier: GPL-2.0
/* A platform driver and device left registered at unload (tests/platform.rs). */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/platform_device.h>

MODULE_LICENSE("GPL");

static int leak_probe(struct platform_device *pdev)
{
	dev_info(&pdev->dev, "leak probe\n");
	return 0;
}

static struct platform_driver leak_driver = {
	.driver = { .name = "lkm_leak" },
	.probe = leak_probe,
};

static int __init plat_leak_init(void)
{
	platform_driver_register(&leak_driver);
	platform_device_register_simple("lkm_leak", 0, NULL, 0);
	return 0;
}

static void __exit plat_leak_exit(void)
{
}

module_init(plat_leak_init);
module_exit(plat_leak_exit);
