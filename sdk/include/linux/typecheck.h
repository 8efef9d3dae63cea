/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TYPECHECK_H_INCLUDED
#define TYPECHECK_H_INCLUDED

/* Warn (distinct pointer types) unless x has the given type; evaluates to 1. */
#define typecheck(type, x) \
({	type __lkm_dummy; \
	typeof(x) __lkm_dummy2; \
	(void)(&__lkm_dummy == &__lkm_dummy2); \
	1; \
})

#define typecheck_fn(type, function) \
({	typeof(type) __lkm_tmp = function; \
	(void)__lkm_tmp; \
})

#define typecheck_pointer(x) \
({	typeof(x) __lkm_dummy; \
	(void)sizeof(*__lkm_dummy); \
	1; \
})

#endif
