/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: the platform bus (drivers/base/platform.c).  Devices and drivers match by name (the
 * driver's name, or a name of its id_table); a match is probed at once, in the registering
 * context, and removed when either side is unregistered.  The sandbox shows them in
 * /sys/bus/platform/{devices,drivers}.  Member order as Linux 6.12's (offsets in
 * docs/SDK-ABI.md).  Written for lkm.
 */
#ifndef _PLATFORM_DEVICE_H_
#define _PLATFORM_DEVICE_H_

#include <linux/types.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/container_of.h>
#include <linux/ioport.h>

#define PLATFORM_DEVID_NONE	(-1)
#define PLATFORM_DEVID_AUTO	(-2)
#define PLATFORM_NAME_SIZE	20

struct mfd_cell;

struct platform_device_id {
	char name[PLATFORM_NAME_SIZE];
	unsigned long driver_data;
};

struct platform_device {
	const char *name;				/* 0 */
	int id;						/* 8 */
	bool id_auto;					/* 12 */
	struct device dev;				/* 16 */
	u64 platform_dma_mask;				/* 144 */
	u32 num_resources;				/* 152 */
	struct resource *resource;			/* 160 */
	const struct platform_device_id *id_entry;	/* 168: the id_table entry matched */
	const char *driver_override;			/* 176 */
	struct mfd_cell *mfd_cell;			/* 184 */
	unsigned long __lkm_reserved[3];		/* 192 */
};

_Static_assert(sizeof(struct platform_device) == 216, "struct platform_device is 216 bytes");

struct platform_driver {
	int (*probe)(struct platform_device *);		/* 0 */
	union {						/* 8: void since 6.11 */
		void (*remove)(struct platform_device *);
		void (*remove_new)(struct platform_device *);
	};
	void (*shutdown)(struct platform_device *);	/* 16 */
	int (*suspend)(struct platform_device *, pm_message_t state);	/* 24 */
	int (*resume)(struct platform_device *);	/* 32 */
	struct device_driver driver;			/* 40 */
	const struct platform_device_id *id_table;	/* 184 */
	bool prevent_deferred_probe;			/* 192 */
	bool driver_managed_dma;			/* 193 */
};

_Static_assert(__builtin_offsetof(struct platform_driver, driver) == 40, "platform_driver.driver");
_Static_assert(__builtin_offsetof(struct platform_driver, id_table) == 184, "platform_driver.id_table");

#define to_platform_device(x)	container_of((x), struct platform_device, dev)
#define to_platform_driver(drv)	container_of((drv), struct platform_driver, driver)

extern int platform_device_register(struct platform_device *pdev);
extern void platform_device_unregister(struct platform_device *pdev);
extern int platform_device_add(struct platform_device *pdev);
extern void platform_device_del(struct platform_device *pdev);
extern void platform_device_put(struct platform_device *pdev);
extern struct platform_device *platform_device_alloc(const char *name, int id);
extern int platform_device_add_data(struct platform_device *pdev, const void *data, size_t size);
extern struct platform_device *platform_device_register_resndata(struct device *parent,
		const char *name, int id, const struct resource *res, unsigned int num,
		const void *data, size_t size);

static inline struct platform_device *platform_device_register_simple(const char *name, int id,
		const struct resource *res, unsigned int num)
{
	return platform_device_register_resndata(NULL, name, id, res, num, NULL, 0);
}

static inline struct platform_device *platform_device_register_data(struct device *parent,
		const char *name, int id, const void *data, size_t size)
{
	return platform_device_register_resndata(parent, name, id, NULL, 0, data, size);
}

extern int __platform_driver_register(struct platform_driver *drv, struct module *owner);
extern void platform_driver_unregister(struct platform_driver *drv);
#define platform_driver_register(drv)	__platform_driver_register(drv, THIS_MODULE)

/* A module whose init and exit only register and unregister one platform driver. */
#define module_platform_driver(__platform_driver)				\
static int __init __platform_driver##_init(void)				\
{										\
	return platform_driver_register(&(__platform_driver));			\
}										\
module_init(__platform_driver##_init);						\
static void __exit __platform_driver##_exit(void)				\
{										\
	platform_driver_unregister(&(__platform_driver));			\
}										\
module_exit(__platform_driver##_exit)

static inline void *platform_get_drvdata(const struct platform_device *pdev)
{
	return dev_get_drvdata(&pdev->dev);
}

static inline void platform_set_drvdata(struct platform_device *pdev, void *data)
{
	dev_set_drvdata(&pdev->dev, data);
}

static inline const struct platform_device_id *platform_get_device_id(const struct platform_device *pdev)
{
	return pdev->id_entry;
}

#endif
