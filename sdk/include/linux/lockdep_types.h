/* SPDX-License-Identifier: GPL-2.0 */
/* lkm SDK: lockdep's types, empty as in a kernel without CONFIG_LOCKDEP.  Written for lkm. */
#ifndef __LINUX_LOCKDEP_TYPES_H
#define __LINUX_LOCKDEP_TYPES_H

struct lock_class_key { };
struct lockdep_map { };

#define STATIC_LOCKDEP_MAP_INIT(_name, _key)	{ }
#define DEP_MAP_INIT(lockname)

#endif /* __LINUX_LOCKDEP_TYPES_H */
