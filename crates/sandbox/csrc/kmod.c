/*
 * The C edge of on-demand loading (src/services/kmod.rs): __request_module() is variadic; the module
 * name is formatted here with the sandbox's formatter (lkm_vsnprintf, the kernel's rules) into a
 * buffer one byte longer than MODULE_NAME_LEN, so that Rust sees an over-long name as such.
 */
#include <stdarg.h>
#include <stddef.h>

#define MODULE_NAME_LEN 56

extern int lkm_vsnprintf(char *buf, size_t size, const char *fmt, void *ap, int mode);
extern int lkm_request_module(int wait, const char *name, int len);

int __request_module(_Bool wait, const char *fmt, ...)
{
	char name[MODULE_NAME_LEN + 1];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = lkm_vsnprintf(name, sizeof(name), fmt, &ap, 0);
	va_end(ap);
	return lkm_request_module(wait, name, n);
}
