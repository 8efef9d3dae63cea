/*
 * The sandbox kernel's thin C edge. Two things Rust cannot do on stable:
 *
 *  1. Variadic entry points. Module code calls printk(fmt, ...), snprintf(...) and friends; these take
 *     the va_list and hand it to Rust (lkm_vprintk, lkm_vsnprintf), which formats with the kernel's
 *     rules and pulls each argument through lkm_va_arg_ulong. On x86_64 every integer and pointer
 *     argument occupies one 8-byte slot, so reading each as unsigned long and truncating per the
 *     conversion (done in Rust) is exact.
 *
 *  2. Guarded calls into module code. lkm_guarded_call runs a module function under sigsetjmp; the
 *     fault handler (installed by lkm_install_fault_handlers) records the fault and siglongjmps back,
 *     so an oops in a module ends the call, not the process. Between the guard and the fault there
 *     are only module frames and C frames (host exports written in Rust never fault: they read module
 *     memory with checked copies), so the jump skips no Rust destructors.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* ---- Rust side ---- */
extern int lkm_vprintk(const char *fmt, void *ap);
extern int lkm_vsnprintf(char *buf, size_t size, const char *fmt, void *ap, int mode);
extern void lkm_warn(const char *file, int line, const char *fmt, void *ap, void *caller,
		     void *frame);
extern void lkm_panic(const char *fmt, void *ap);

unsigned long lkm_va_arg_ulong(void *ap)
{
	return va_arg(*(va_list *)ap, unsigned long);
}

/* ---- printk family ---- */
int _printk(const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = lkm_vprintk(fmt, &ap);
	va_end(ap);
	return n;
}

int vprintk(const char *fmt, va_list args)
{
	va_list ap;
	int n;
	va_copy(ap, args);
	n = lkm_vprintk(fmt, &ap);
	va_end(ap);
	return n;
}

/* mode: 0 = vsnprintf (returns the length it would have written), 1 = vscnprintf (returns what it
 * wrote), 2 = vsprintf (unbounded). */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	va_list ap;
	int n;
	va_copy(ap, args);
	n = lkm_vsnprintf(buf, size, fmt, &ap, 0);
	va_end(ap);
	return n;
}

int vscnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	va_list ap;
	int n;
	va_copy(ap, args);
	n = lkm_vsnprintf(buf, size, fmt, &ap, 1);
	va_end(ap);
	return n;
}

int vsprintf(char *buf, const char *fmt, va_list args)
{
	va_list ap;
	int n;
	va_copy(ap, args);
	n = lkm_vsnprintf(buf, (size_t)-1 >> 1, fmt, &ap, 2);
	va_end(ap);
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = lkm_vsnprintf(buf, size, fmt, &ap, 0);
	va_end(ap);
	return n;
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = lkm_vsnprintf(buf, size, fmt, &ap, 1);
	va_end(ap);
	return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = lkm_vsnprintf(buf, (size_t)-1 >> 1, fmt, &ap, 2);
	va_end(ap);
	return n;
}

void __lkm_warn(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* The caller's return address names the warning's function (the RIP of the report); the
	 * stack above this frame gives its call trace. */
	lkm_warn(file, line, fmt, &ap, __builtin_return_address(0), __builtin_frame_address(0));
	va_end(ap);
}

/* ---- guarded calls ---- */

/* What a fault left behind; mirrored by `Fault` in src/guard.rs. */
struct lkm_fault {
	int signo;
	int code;
	uint64_t addr; /* si_addr */
	uint64_t rip;
	uint64_t rsp;
	uint64_t rbp;
	uint64_t err; /* the page-fault error code (write, user, present bits) */
	int kind; /* 0 signal, 1 BUG(), 2 stack protector, 3 panic */
	int line;
	const char *file;
	/* The stack words from rsp up, copied before the jump back to the guard: the report's call
	 * trace is scanned from this copy (the frames themselves are reused once the guard returns). */
	uint64_t stack_len;
	uint64_t stack[256];
};

#include <sys/uio.h>

/* Copies up to 256 stack words from `sp` into the fault, page by page through process_vm_readv
 * (async-signal-safe, and a bad or overflowed stack yields a short copy instead of a fault). */
static void snapshot_stack(struct lkm_fault *f, uint64_t sp)
{
	uint64_t at = sp, end = sp + sizeof(f->stack);
	f->stack_len = 0;
	if (!sp || (sp & 7))
		return;
	while (at < end) {
		uint64_t page_end = (at | 4095) + 1;
		size_t n = (size_t)((page_end < end ? page_end : end) - at);
		struct iovec local = { (char *)f->stack + (at - sp), n };
		struct iovec remote = { (void *)at, n };
		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)n)
			break;
		at += n;
	}
	f->stack_len = (at - sp) / 8;
}

struct guard_frame {
	sigjmp_buf env;
	struct lkm_fault *fault;
	struct guard_frame *outer;
};

static __thread struct guard_frame *current_guard;

/* Calls fn(args[0..6]) under a guard. Returns 0 and stores the result in *ret, or returns 1 after a
 * fault, with *fault filled in. Guards nest (module code calling the kernel calling module code). */
int lkm_guarded_call(const void *fn, const unsigned long *args, unsigned long *ret,
		     struct lkm_fault *fault)
{
	struct guard_frame frame;
	typedef unsigned long (*fn6)(unsigned long, unsigned long, unsigned long, unsigned long,
				     unsigned long, unsigned long);
	frame.fault = fault;
	frame.outer = current_guard;
	if (sigsetjmp(frame.env, 0) != 0) {
		current_guard = frame.outer;
		return 1;
	}
	current_guard = &frame;
	*ret = ((fn6)fn)(args[0], args[1], args[2], args[3], args[4], args[5]);
	current_guard = frame.outer;
	return 0;
}

int lkm_in_guarded_call(void)
{
	return current_guard != NULL;
}

/* Ends the innermost guarded call as an oops of the given kind (BUG(), stack protector, panic). Only
 * called from C entry points reached from module code. */
static void __attribute__((noreturn)) oops_out(int kind, const char *file, int line, uint64_t rip)
{
	struct guard_frame *g = current_guard;
	if (!g)
		abort();
	memset(g->fault, 0, sizeof(*g->fault));
	g->fault->kind = kind;
	g->fault->file = file;
	g->fault->line = line;
	g->fault->rip = rip;
	snapshot_stack(g->fault, (uint64_t)__builtin_frame_address(0));
	siglongjmp(g->env, 1);
}

/* Mirrored by `BadAccess` in src/services/lib.rs (and csrc/lib.c). */
struct lkm_bad_access {
	uint64_t addr;
	uint64_t rip;
	int err; /* the page-fault error code: 2 a write, | 1 the page is present */
	int faulted;
};

/* Ends the innermost guarded call as the page fault a kernel function would have taken on a bad
 * module pointer (a host export found it unreadable or unwritable through a checked copy). `frame`
 * is the C entry point's frame: the call trace is scanned from there. */
void __attribute__((noreturn)) lkm_oops_bad_access(const struct lkm_bad_access *bad, void *frame)
{
	struct guard_frame *g = current_guard;
	if (!g)
		abort();
	memset(g->fault, 0, sizeof(*g->fault));
	g->fault->signo = SIGSEGV;
	g->fault->code = SEGV_MAPERR;
	g->fault->addr = bad->addr;
	g->fault->rip = bad->rip;
	g->fault->rsp = (uint64_t)frame;
	g->fault->err = (uint64_t)bad->err;
	snapshot_stack(g->fault, g->fault->rsp);
	siglongjmp(g->env, 1);
}

void __attribute__((noreturn)) __lkm_bug(const char *file, int line)
{
	oops_out(1, file, line, (uint64_t)__builtin_return_address(0));
}

void __attribute__((noreturn)) __stack_chk_fail(void)
{
	oops_out(2, NULL, 0, (uint64_t)__builtin_return_address(0));
}

void __attribute__((noreturn)) panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lkm_panic(fmt, &ap);
	va_end(ap);
	oops_out(3, NULL, 0, (uint64_t)__builtin_return_address(0));
}

static void fault_handler(int signo, siginfo_t *info, void *uctx)
{
	ucontext_t *uc = uctx;
	struct guard_frame *g = current_guard;
	if (!g) {
		/* Not module code: the host itself crashed. Die as the signal would have. */
		signal(signo, SIG_DFL);
		return;
	}
	memset(g->fault, 0, sizeof(*g->fault));
	g->fault->signo = signo;
	g->fault->code = info->si_code;
	g->fault->addr = (uint64_t)info->si_addr;
	g->fault->rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	g->fault->rsp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
	g->fault->rbp = (uint64_t)uc->uc_mcontext.gregs[REG_RBP];
	g->fault->err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
	snapshot_stack(g->fault, g->fault->rsp);
	siglongjmp(g->env, 1);
}

/* Each thread that calls module code needs its own alternate stack, so that a module overflowing its
 * stack still reaches the handler. The kernel process serves every request on a new thread, so the
 * stack is released when its thread exits (a pthread key destructor), or each request would leak it. */
#define ALTSTACK_SIZE 65536

static pthread_key_t altstack_key;
static pthread_once_t altstack_once = PTHREAD_ONCE_INIT;
static int altstack_key_ok;

static void altstack_release(void *p)
{
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	munmap(p, ALTSTACK_SIZE);
}

static void altstack_key_create(void)
{
	altstack_key_ok = pthread_key_create(&altstack_key, altstack_release) == 0;
}

int lkm_thread_init(void)
{
	static __thread void *altstack;
	stack_t ss;
	void *p;
	if (altstack)
		return 0;
	pthread_once(&altstack_once, altstack_key_create);
	if (!altstack_key_ok)
		return -1;
	p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	ss.ss_sp = p;
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) != 0 || pthread_setspecific(altstack_key, p) != 0) {
		altstack_release(p);
		return -1;
	}
	altstack = p;
	return 0;
}

int lkm_install_fault_handlers(void)
{
	static const int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	struct sigaction sa;
	size_t i;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (sigaction(signals[i], &sa, NULL) != 0)
			return -1;
	return lkm_thread_init();
}
