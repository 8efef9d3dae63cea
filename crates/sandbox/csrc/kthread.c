/*
 * The C edge of kernel threads and work queues (src/services/kthread.rs, workqueue.rs):
 *
 *  1. Variadic entry points whose name argument is a printf format: kthread_create_on_node() and
 *     alloc_workqueue(). The name is formatted here with the sandbox's formatter (lkm_vsnprintf, the
 *     kernel's rules) into a host buffer and handed to Rust.
 *
 *  2. Ending a kthread from inside: kthread_exit() and kthread_complete_and_exit(). Module code
 *     calling them is running under the kthread's guarded call (lkm_guarded_call in entry.c). They
 *     end that call the way BUG() does: __lkm_bug() siglongjmps to the innermost guard frame with
 *     kind 1 (BUG), but with `file` set to lkm_kthread_exit_marker and `line` to the exit code. The
 *     kthread's Rust side recognises the marker by address and takes it as the thread's exit, not
 *     as an oops. Only module and C frames lie between the guard and this point (kernel services
 *     written in Rust never call back into module code on the thread's behalf), so the jump skips
 *     no Rust destructors. Outside a kthread the call is a real BUG(), as it would be fatal on Linux.
 */
#include <stdarg.h>
#include <stddef.h>

extern int lkm_vsnprintf(char *buf, size_t size, const char *fmt, void *ap, int mode);
extern void __attribute__((noreturn)) __lkm_bug(const char *file, int line);

extern unsigned long lkm_kthread_create(void *fn, void *data, const char *name);
extern unsigned long lkm_alloc_workqueue(const char *name, unsigned int flags, int max_active);
extern void lkm_kthread_complete(void *comp);

/* The kernel's full kthread and workqueue names are at most this long (WQ_NAME_LEN is 32). */
#define NAME_MAX_LEN 64

/* Recognised by address in src/services/kthread.rs. */
const char lkm_kthread_exit_marker[] = "kernel/kthread.c (kthread_exit)";

/* Set by Rust on a kthread's host thread before it calls the thread function. */
__thread int lkm_in_kthread;

void lkm_kthread_mark(void)
{
	lkm_in_kthread = 1;
}

struct task_struct;

struct task_struct *kthread_create_on_node(int (*threadfn)(void *data), void *data, int node,
					   const char namefmt[], ...)
{
	char name[NAME_MAX_LEN];
	va_list ap;
	int n;
	(void)node;
	va_start(ap, namefmt);
	n = lkm_vsnprintf(name, sizeof(name), namefmt, &ap, 0);
	va_end(ap);
	if (n < 0)
		name[0] = 0;
	return (struct task_struct *)lkm_kthread_create((void *)threadfn, data, name);
}

struct task_struct *kthread_create_on_cpu(int (*threadfn)(void *data), void *data, unsigned int cpu,
					  const char *namefmt)
{
	return kthread_create_on_node(threadfn, data, -1, namefmt, cpu);
}

struct workqueue_struct;

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...)
{
	char name[NAME_MAX_LEN];
	va_list ap;
	int n;
	va_start(ap, max_active);
	n = lkm_vsnprintf(name, sizeof(name), fmt, &ap, 0);
	va_end(ap);
	if (n < 0)
		name[0] = 0;
	return (struct workqueue_struct *)lkm_alloc_workqueue(name, flags, max_active);
}

void __attribute__((noreturn)) kthread_exit(long result)
{
	if (!lkm_in_kthread)
		__lkm_bug("kernel/kthread.c", 300);
	__lkm_bug(lkm_kthread_exit_marker, (int)result);
}

void __attribute__((noreturn)) kthread_complete_and_exit(void *comp, long code)
{
	if (comp)
		lkm_kthread_complete(comp);
	kthread_exit(code);
}
