/*
 * The C edge of character devices (src/services/chardev.rs): device_create() is variadic; its
 * name is formatted here with the sandbox's formatter (lkm_vsnprintf, the kernel's rules) and
 * handed to Rust.
 */
#include <stdarg.h>
#include <stddef.h>

extern int lkm_vsnprintf(char *buf, size_t size, const char *fmt, void *ap, int mode);
extern unsigned long lkm_device_create(void *class, void *parent, unsigned int devt, void *drvdata,
				       const char *name);

void *device_create(void *class, void *parent, unsigned int devt, void *drvdata, const char *fmt,
		    ...)
{
	char name[64];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = lkm_vsnprintf(name, sizeof(name), fmt, &ap, 0);
	va_end(ap);
	if (n < 0)
		name[0] = 0;
	return (void *)lkm_device_create(class, parent, devt, drvdata, name);
}
