/*
 * The library area's thin C edge (src/services/lib.rs): variadic sscanf, and the kfifo entry points
 * that need the caller's return address (kfifo_alloc/kfifo_free account the buffer to the calling
 * module). Rust does the work through checked copies and reports a bad module pointer in `bad`;
 * the entry then ends the module's call as the page fault Linux would have taken there
 * (lkm_oops_bad_access in entry.c), with no Rust frame left between it and the guard.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Mirrored by `BadAccess` in src/services/lib.rs. */
struct lkm_bad_access {
	uint64_t addr;
	uint64_t rip;
	int err;
	int faulted;
};

struct __kfifo;

extern int lkm_vsscanf(const char *buf, const char *fmt, void *ap, struct lkm_bad_access *bad);
extern int lkm_kfifo_alloc(struct __kfifo *fifo, unsigned int size, size_t esize,
			   unsigned int gfp, void *caller, struct lkm_bad_access *bad);
extern void lkm_kfifo_free(struct __kfifo *fifo, void *caller, struct lkm_bad_access *bad);
extern int lkm_kfifo_init(struct __kfifo *fifo, void *buffer, unsigned int size, size_t esize,
			  struct lkm_bad_access *bad);
extern unsigned int lkm_kfifo_in(struct __kfifo *fifo, const void *buf, unsigned int len,
				 struct lkm_bad_access *bad);
extern unsigned int lkm_kfifo_out(struct __kfifo *fifo, void *buf, unsigned int len, int peek,
				  struct lkm_bad_access *bad);
extern void __attribute__((noreturn))
lkm_oops_bad_access(const struct lkm_bad_access *bad, void *frame);

#define CALLER __builtin_return_address(0)
#define CHECK(bad) do {							\
	if ((bad).faulted)						\
		lkm_oops_bad_access(&(bad), __builtin_frame_address(0));	\
} while (0)

int vsscanf(const char *buf, const char *fmt, va_list args)
{
	struct lkm_bad_access bad = { 0 };
	va_list ap;
	int n;
	va_copy(ap, args);
	n = lkm_vsscanf(buf, fmt, &ap, &bad);
	va_end(ap);
	CHECK(bad);
	return n;
}

int sscanf(const char *buf, const char *fmt, ...)
{
	struct lkm_bad_access bad = { 0 };
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = lkm_vsscanf(buf, fmt, &ap, &bad);
	va_end(ap);
	CHECK(bad);
	return n;
}

int __kfifo_alloc(struct __kfifo *fifo, unsigned int size, size_t esize, unsigned int gfp_mask)
{
	struct lkm_bad_access bad = { 0 };
	int r = lkm_kfifo_alloc(fifo, size, esize, gfp_mask, CALLER, &bad);
	CHECK(bad);
	return r;
}

void __kfifo_free(struct __kfifo *fifo)
{
	struct lkm_bad_access bad = { 0 };
	lkm_kfifo_free(fifo, CALLER, &bad);
	CHECK(bad);
}

int __kfifo_init(struct __kfifo *fifo, void *buffer, unsigned int size, size_t esize)
{
	struct lkm_bad_access bad = { 0 };
	int r = lkm_kfifo_init(fifo, buffer, size, esize, &bad);
	CHECK(bad);
	return r;
}

unsigned int __kfifo_in(struct __kfifo *fifo, const void *buf, unsigned int len)
{
	struct lkm_bad_access bad = { 0 };
	unsigned int n = lkm_kfifo_in(fifo, buf, len, &bad);
	CHECK(bad);
	return n;
}

unsigned int __kfifo_out(struct __kfifo *fifo, void *buf, unsigned int len)
{
	struct lkm_bad_access bad = { 0 };
	unsigned int n = lkm_kfifo_out(fifo, buf, len, 0, &bad);
	CHECK(bad);
	return n;
}

unsigned int __kfifo_out_peek(struct __kfifo *fifo, void *buf, unsigned int len)
{
	struct lkm_bad_access bad = { 0 };
	unsigned int n = lkm_kfifo_out(fifo, buf, len, 1, &bad);
	CHECK(bad);
	return n;
}
