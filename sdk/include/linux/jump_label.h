/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: static keys (kernel/jump_label.c).  Linux patches a static branch in the text when its
 * key changes; here a branch reads the key's count (atomic_read, under likely/unlikely), and the
 * count changes only through the kernel's functions, under one lock.  The types, initialisers and
 * macros are Linux 6.12's; a key is 16 bytes (the count, then a word the kernel uses).  Written
 * for lkm.
 */
#ifndef _LINUX_JUMP_LABEL_H
#define _LINUX_JUMP_LABEL_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/atomic.h>
#include <linux/bug.h>

struct static_key {
	atomic_t enabled;
	unsigned long __lkm_reserved;
};

struct static_key_true {
	struct static_key key;
};

struct static_key_false {
	struct static_key key;
};

#define STATIC_KEY_INIT_TRUE	{ .enabled = ATOMIC_INIT(1) }
#define STATIC_KEY_INIT_FALSE	{ .enabled = ATOMIC_INIT(0) }
#define STATIC_KEY_INIT		STATIC_KEY_INIT_FALSE
#define STATIC_KEY_TRUE_INIT	(struct static_key_true) { .key = STATIC_KEY_INIT_TRUE }
#define STATIC_KEY_FALSE_INIT	(struct static_key_false) { .key = STATIC_KEY_INIT_FALSE }

#define DEFINE_STATIC_KEY_TRUE(name)	struct static_key_true name = STATIC_KEY_TRUE_INIT
#define DEFINE_STATIC_KEY_FALSE(name)	struct static_key_false name = STATIC_KEY_FALSE_INIT
#define DEFINE_STATIC_KEY_TRUE_RO(name)		DEFINE_STATIC_KEY_TRUE(name)
#define DEFINE_STATIC_KEY_FALSE_RO(name)	DEFINE_STATIC_KEY_FALSE(name)
#define DECLARE_STATIC_KEY_TRUE(name)	extern struct static_key_true name
#define DECLARE_STATIC_KEY_FALSE(name)	extern struct static_key_false name
#define DEFINE_STATIC_KEY_MAYBE(cfg, name)	DEFINE_STATIC_KEY_FALSE(name)

extern void static_key_slow_inc(struct static_key *key);
extern void static_key_slow_dec(struct static_key *key);
extern void static_key_enable(struct static_key *key);
extern void static_key_disable(struct static_key *key);
extern void static_key_slow_inc_cpuslocked(struct static_key *key);
extern void static_key_slow_dec_cpuslocked(struct static_key *key);
extern void static_key_enable_cpuslocked(struct static_key *key);
extern void static_key_disable_cpuslocked(struct static_key *key);

static inline int static_key_count(struct static_key *key)
{
	return atomic_read(&key->enabled);
}

/* Any of the three key types. */
#define static_key_enabled(x)								\
({											\
	BUILD_BUG_ON(!__builtin_types_compatible_p(typeof(*(x)), struct static_key) &&	\
		     !__builtin_types_compatible_p(typeof(*(x)), struct static_key_true) &&	\
		     !__builtin_types_compatible_p(typeof(*(x)), struct static_key_false));	\
	static_key_count((struct static_key *)(x)) > 0;					\
})

#define static_branch_likely(x)		likely(static_key_enabled(&(x)->key))
#define static_branch_unlikely(x)	unlikely(static_key_enabled(&(x)->key))
#define static_branch_maybe(cfg, x)	static_branch_unlikely(x)

/* The old interface. */
static inline bool static_key_false(struct static_key *key)
{
	return unlikely(static_key_count(key) > 0);
}

static inline bool static_key_true(struct static_key *key)
{
	return likely(static_key_count(key) > 0);
}

#define static_branch_inc(x)		static_key_slow_inc(&(x)->key)
#define static_branch_dec(x)		static_key_slow_dec(&(x)->key)
#define static_branch_inc_cpuslocked(x)	static_key_slow_inc_cpuslocked(&(x)->key)
#define static_branch_dec_cpuslocked(x)	static_key_slow_dec_cpuslocked(&(x)->key)
#define static_branch_enable(x)		static_key_enable(&(x)->key)
#define static_branch_disable(x)	static_key_disable(&(x)->key)
#define static_branch_enable_cpuslocked(x)	static_key_enable_cpuslocked(&(x)->key)
#define static_branch_disable_cpuslocked(x)	static_key_disable_cpuslocked(&(x)->key)

static inline bool jump_label_enabled(struct static_key *key)
{
	return static_key_count(key) > 0;
}

#endif
