// SPDX-License-Identifier: GPL-2.0
/*
 * A platform driver (tests/platform.rs): matches "lkm_plat" and "lkm_plat_alt" through its id_table,
 * prints what probe sees (name, id, id_table entry, platform data), keeps driver data, fails the
 * probe of device 13 with -ENODEV (silently, as Linux) and of device 14 with -ENOMEM (logged), and
 * prints its remove. A second driver of the same name is refused.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include "plat_common.h"

MODULE_LICENSE("GPL");

struct plat_state {
	int probes;
	char label[32];
};

static int plat_probe(struct platform_device *pdev)
{
	const struct platform_device_id *id = platform_get_device_id(pdev);
	struct plat_info *info = dev_get_platdata(&pdev->dev);
	struct plat_state *st;

	if (pdev->id == 13)
		return -ENODEV;
	if (pdev->id == 14)
		return -ENOMEM;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	snprintf(st->label, sizeof(st->label), "state of %s", dev_name(&pdev->dev));
	platform_set_drvdata(pdev, st);
	dev_info(&pdev->dev, "probe: id=%d entry=%s data=%lu info=%s/%d\n", pdev->id,
		 id ? id->name : "-", id ? id->driver_data : 0,
		 info ? info->greeting : "-", info ? info->number : 0);
	return 0;
}

static void plat_remove(struct platform_device *pdev)
{
	struct plat_state *st = platform_get_drvdata(pdev);

	dev_info(&pdev->dev, "remove: %s\n", st ? st->label : "(no state)");
	kfree(st);
}

static const struct platform_device_id plat_ids[] = {
	{ .name = "lkm_plat", .driver_data = 1 },
	{ .name = "lkm_plat_alt", .driver_data = 2 },
	{ }
};

static struct platform_driver plat_driver = {
	.driver = { .name = "lkm_plat" },
	.probe = plat_probe,
	.remove = plat_remove,
	.id_table = plat_ids,
};

static struct platform_driver plat_twin = {
	.driver = { .name = "lkm_plat" },
	.probe = plat_probe,
};

static int __init plat_drv_init(void)
{
	int ret = platform_driver_register(&plat_driver);

	if (ret)
		return ret;
	pr_info("plat_drv: twin: %d\n", platform_driver_register(&plat_twin));
	pr_info("plat_drv: owner ok: %d\n", plat_driver.driver.owner == THIS_MODULE);
	return 0;
}

static void __exit plat_drv_exit(void)
{
	platform_driver_unregister(&plat_driver);
	pr_info("plat_drv: gone\n");
}

module_init(plat_drv_init);
module_exit(plat_drv_exit);
