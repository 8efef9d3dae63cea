/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: struct resource (Linux 6.12's members), for the declarations that name it.  The
 * sandbox has no I/O memory or ports: platform devices with resources are refused (-EINVAL, with
 * a message).  Written for lkm.
 */
#ifndef _LINUX_IOPORT_H
#define _LINUX_IOPORT_H

#include <linux/types.h>

typedef u64 resource_size_t;

struct resource {
	resource_size_t start;
	resource_size_t end;
	const char *name;
	unsigned long flags;
	unsigned long desc;
	struct resource *parent, *sibling, *child;
};

#define IORESOURCE_IO		0x00000100
#define IORESOURCE_MEM		0x00000200
#define IORESOURCE_IRQ		0x00000400

#define DEFINE_RES_NAMED(_start, _size, _name, _flags)			\
	(struct resource) {						\
		.start = (_start),					\
		.end = (_start) + (_size) - 1,				\
		.name = (_name),					\
		.flags = (_flags),					\
	}
#define DEFINE_RES_MEM(_start, _size)	DEFINE_RES_NAMED((_start), (_size), NULL, IORESOURCE_MEM)
#define DEFINE_RES_IRQ(_irq)		DEFINE_RES_NAMED((_irq), 1, NULL, IORESOURCE_IRQ)

#endif
