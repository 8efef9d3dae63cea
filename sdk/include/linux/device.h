/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: device classes and class devices, as character drivers use them, and the driver core's
 * struct device_driver and struct dev_pm_ops (Linux 6.12's members) for bus drivers
 * (<linux/platform_device.h>).  Written for lkm.  struct class has Linux 6.12's members; struct
 * device is lkm's (128 bytes, docs/SDK-ABI.md).  device_create() adds /dev/<name> to the sandbox
 * (mode from the class's devnode(), else 0600); device_destroy() removes it.
 */
#ifndef _LINUX_DEVICE_H
#define _LINUX_DEVICE_H

#include <linux/types.h>
#include <linux/kdev_t.h>
#include <linux/err.h>
#include <linux/printk.h>
#include <linux/compiler.h>
#include <linux/uidgid.h>

struct module;
struct device;
struct attribute_group;
struct kobj_uevent_env;
struct kobj_ns_type_operations;
struct dev_pm_ops;

struct class {
	const char *name;						/* 0 */
	const struct attribute_group **class_groups;			/* 8 */
	const struct attribute_group **dev_groups;			/* 16 */
	int (*dev_uevent)(const struct device *dev, struct kobj_uevent_env *env);	/* 24 */
	char *(*devnode)(const struct device *dev, umode_t *mode);	/* 32 */
	void (*class_release)(const struct class *class);		/* 40 */
	void (*dev_release)(struct device *dev);			/* 48 */
	int (*shutdown_pre)(struct device *dev);			/* 56 */
	const struct kobj_ns_type_operations *ns_type;			/* 64 */
	const void *(*namespace)(const struct device *dev);		/* 72 */
	void (*get_ownership)(const struct device *dev, kuid_t *uid, kgid_t *gid);	/* 80 */
	const struct dev_pm_ops *pm;					/* 88 */
	unsigned long __lkm_reserved;					/* 96 */
};

_Static_assert(__builtin_offsetof(struct class, devnode) == 32, "class.devnode");

struct device_driver;
struct bus_type;
struct of_device_id;
struct acpi_device_id;

typedef struct pm_message {
	int event;
} pm_message_t;

/* Power management callbacks (Linux 6.12's members and order; the sandbox never suspends). */
struct dev_pm_ops {
	int (*prepare)(struct device *dev);
	void (*complete)(struct device *dev);
	int (*suspend)(struct device *dev);
	int (*resume)(struct device *dev);
	int (*freeze)(struct device *dev);
	int (*thaw)(struct device *dev);
	int (*poweroff)(struct device *dev);
	int (*restore)(struct device *dev);
	int (*suspend_late)(struct device *dev);
	int (*resume_early)(struct device *dev);
	int (*freeze_late)(struct device *dev);
	int (*thaw_early)(struct device *dev);
	int (*poweroff_late)(struct device *dev);
	int (*restore_early)(struct device *dev);
	int (*suspend_noirq)(struct device *dev);
	int (*resume_noirq)(struct device *dev);
	int (*freeze_noirq)(struct device *dev);
	int (*thaw_noirq)(struct device *dev);
	int (*poweroff_noirq)(struct device *dev);
	int (*restore_noirq)(struct device *dev);
	int (*runtime_suspend)(struct device *dev);
	int (*runtime_resume)(struct device *dev);
	int (*runtime_idle)(struct device *dev);
};

enum probe_type {
	PROBE_DEFAULT_STRATEGY,
	PROBE_PREFER_ASYNCHRONOUS,
	PROBE_FORCE_SYNCHRONOUS,
};

/* A driver, embedded in its bus's driver struct (Linux 6.12's members and order). */
struct device_driver {
	const char *name;					/* 0 */
	const struct bus_type *bus;				/* 8 */
	struct module *owner;					/* 16 */
	const char *mod_name;					/* 24 */
	bool suppress_bind_attrs;				/* 32 */
	enum probe_type probe_type;				/* 36 */
	const struct of_device_id *of_match_table;		/* 40 */
	const struct acpi_device_id *acpi_match_table;		/* 48 */
	int (*probe)(struct device *dev);			/* 56 */
	void (*sync_state)(struct device *dev);			/* 64 */
	int (*remove)(struct device *dev);			/* 72 */
	void (*shutdown)(struct device *dev);			/* 80 */
	int (*suspend)(struct device *dev, pm_message_t state);	/* 88 */
	int (*resume)(struct device *dev);			/* 96 */
	const struct attribute_group **groups;			/* 104 */
	const struct attribute_group **dev_groups;		/* 112 */
	const struct dev_pm_ops *pm;				/* 120 */
	void (*coredump)(struct device *dev);			/* 128 */
	void *p;						/* 136 */
};

_Static_assert(sizeof(struct device_driver) == 144, "struct device_driver is 144 bytes");

struct device {
	struct device *parent;			/* 0 */
	const char *init_name;			/* 8: the device's name */
	const struct class *class;		/* 16 */
	dev_t devt;				/* 24 */
	void *driver_data;			/* 32: dev_get_drvdata() */
	void (*release)(struct device *dev);	/* 40 */
	void *platform_data;			/* 48: dev_get_platdata() */
	struct device_driver *driver;		/* 56: the bound driver */
	unsigned long __lkm_reserved[8];	/* 64..127 (name storage) */
};

_Static_assert(sizeof(struct device) == 128, "struct device is 128 bytes");

/* 6.4+: class_create(name); the older class_create(THIS_MODULE, name) is accepted too. */
struct class * __must_check class_create(const char *name);
#define __lkm_class_create_owner(owner, name)	class_create(name)
#define __lkm_class_create_pick(_1, _2, NAME, ...) NAME
#define class_create(...) \
	__lkm_class_create_pick(__VA_ARGS__, __lkm_class_create_owner, class_create)(__VA_ARGS__)
void class_destroy(const struct class *cls);
int __must_check class_register(const struct class *class);
void class_unregister(const struct class *class);

__printf(5, 6) struct device *device_create(const struct class *cls, struct device *parent,
					     dev_t devt, void *drvdata, const char *fmt, ...);
void device_destroy(const struct class *cls, dev_t devt);
void device_unregister(struct device *dev);

static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}

static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

static inline const char *dev_name(const struct device *dev)
{
	return dev->init_name ? dev->init_name : "";
}

static inline void *dev_get_platdata(const struct device *dev)
{
	return dev->platform_data;
}

/* The bound driver's name, else the class's (Linux also tries the bus's name). */
static inline const char *dev_driver_string(const struct device *dev)
{
	if (dev->driver && dev->driver->name)
		return dev->driver->name;
	return dev->class && dev->class->name ? dev->class->name : "";
}

#define dev_printk(level, dev, fmt, ...) \
	_printk(level "%s %s: " fmt, dev_driver_string(dev), dev_name(dev), ##__VA_ARGS__)
#define dev_emerg(dev, fmt, ...)	dev_printk(KERN_EMERG, dev, fmt, ##__VA_ARGS__)
#define dev_alert(dev, fmt, ...)	dev_printk(KERN_ALERT, dev, fmt, ##__VA_ARGS__)
#define dev_crit(dev, fmt, ...)		dev_printk(KERN_CRIT, dev, fmt, ##__VA_ARGS__)
#define dev_err(dev, fmt, ...)		dev_printk(KERN_ERR, dev, fmt, ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...)		dev_printk(KERN_WARNING, dev, fmt, ##__VA_ARGS__)
#define dev_notice(dev, fmt, ...)	dev_printk(KERN_NOTICE, dev, fmt, ##__VA_ARGS__)
#define dev_info(dev, fmt, ...)		dev_printk(KERN_INFO, dev, fmt, ##__VA_ARGS__)
#define dev_dbg(dev, fmt, ...)		do { if (0) dev_printk(KERN_DEBUG, dev, fmt, ##__VA_ARGS__); } while (0)

#endif
