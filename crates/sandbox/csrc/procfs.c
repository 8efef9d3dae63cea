/*
 * The procfs, seq_file and sysfs areas' C edge (src/services/procfs.rs, src/services/sysfs.rs).
 *
 * seq_file (fs/seq_file.c) is here whole, close to Linux's text: seq_read walks the module's
 * seq_operations (start/show/next/stop) through plain calls, so a fault in module code ends the
 * guarded call the host made (proc_read) as an oops, with only module and C frames in between.
 * The seq_file and its buffer are host memory (malloc); the buffer starts at a page and doubles
 * when one record does not fit (the overflow-retry of Linux). Copies to the reader's buffer go
 * through lkm_user_copy_out (Rust), which checks the request's user window.
 *
 * The registration entry points (proc_create*, proc_mkdir*, kobject_create_and_add, sysfs_create_*)
 * pass their caller's return address, so the entry is accounted to the calling module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CALLER __builtin_return_address(0)
#define PAGE_SIZE 4096UL
#define EINVAL 22
#define ENOMEM 12
#define EFAULT 14
#define EAGAIN 11
#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)

/* ---- Rust side ---- */
extern size_t lkm_user_copy_out(void *to, const void *from, size_t n);
extern void *lkm_proc_create(const char *name, unsigned int mode, void *parent, const void *ops,
			     void *data, int kind, unsigned long extra, void *caller);
extern void *lkm_kobject_create_and_add(const char *name, void *parent, void *caller);
extern int lkm_sysfs_create_file(void *kobj, const void *attr, void *caller);
extern int lkm_sysfs_create_group(void *kobj, const void *grp, void *caller);
extern void lkm_seq_buggy_next(const void *next);

/* ---- the kernel's own C functions used here ---- */
extern int vsnprintf(char *buf, size_t size, const char *fmt, va_list args);
extern int vscnprintf(char *buf, size_t size, const char *fmt, va_list args);
extern void __lkm_warn(const char *file, int line, const char *fmt, ...);

/* Mirrors sdk/include/linux/seq_file.h (Linux 6.12's layout). */
struct lkm_mutex {
	long owner;
	int wait_lock;
	int osq;
	void *wait_next, *wait_prev;
};

struct seq_file;

struct seq_operations {
	void *(*start)(struct seq_file *m, long long *pos);
	void (*stop)(struct seq_file *m, void *v);
	void *(*next)(struct seq_file *m, void *v, long long *pos);
	int (*show)(struct seq_file *m, void *v);
};

struct seq_file {
	char *buf;
	size_t size;
	size_t from;
	size_t count;
	size_t pad_until;
	long long index;
	long long read_pos;
	struct lkm_mutex lock;
	const struct seq_operations *op;
	int poll_event;
	const void *file;
	void *private;
};

/* The fields of struct file seq_file uses (lkm's layout: sdk/include/linux/fs.h, chardev.rs). */
#define FILE_PRIVATE_DATA 48
#define FILE_F_POS 40

static void **file_private(void *file)
{
	return (void **)((char *)file + FILE_PRIVATE_DATA);
}

static long long *file_pos(void *file)
{
	return (long long *)((char *)file + FILE_F_POS);
}

static void seq_set_overflow(struct seq_file *m)
{
	m->count = m->size;
}

static int seq_has_overflowed(struct seq_file *m)
{
	return m->count == m->size;
}

static void *seq_buf_alloc(unsigned long size)
{
	if (size > (1UL << 30))
		return NULL;
	return malloc(size);
}

int seq_open(void *file, const struct seq_operations *op)
{
	struct seq_file *p;

	if (*file_private(file))
		__lkm_warn("fs/seq_file.c", 59, NULL);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*file_private(file) = p;
	p->op = op;
	p->file = file;
	return 0;
}

static int traverse(struct seq_file *m, long long offset)
{
	long long pos = 0;
	int error = 0;
	void *p;

	m->index = 0;
	m->count = m->from = 0;
	if (!offset)
		return 0;

	if (!m->buf) {
		m->buf = seq_buf_alloc(m->size = PAGE_SIZE);
		if (!m->buf)
			return -ENOMEM;
	}
	p = m->op->start(m, &m->index);
	while (p) {
		error = IS_ERR_VALUE(p) ? (int)(long)p : 0;
		if (IS_ERR_VALUE(p))
			break;
		error = m->op->show(m, p);
		if (error < 0)
			break;
		if (error) {
			error = 0;
			m->count = 0;
		}
		if (seq_has_overflowed(m))
			goto Eoverflow;
		p = m->op->next(m, p, &m->index);
		if (pos + (long long)m->count > offset) {
			m->from = offset - pos;
			m->count -= m->from;
			break;
		}
		pos += m->count;
		m->count = 0;
		if (pos == offset)
			break;
	}
	m->op->stop(m, p);
	return error;

Eoverflow:
	m->op->stop(m, p);
	free(m->buf);
	m->count = 0;
	m->buf = seq_buf_alloc(m->size <<= 1);
	return !m->buf ? -ENOMEM : -EAGAIN;
}

/* seq_read_iter with a single user buffer for the iterator. */
long seq_read(void *file, char *ubuf, size_t size, long long *ppos)
{
	struct seq_file *m = *file_private(file);
	size_t copied = 0;
	size_t n;
	void *p;
	int err = 0;

	if (!size)
		return 0;

	/* Reading from offset 0 restarts the iterator: it may have advanced in earlier reads. */
	if (*ppos == 0) {
		m->index = 0;
		m->count = 0;
	}

	/* Don't assume ki_pos is where we left it */
	if (*ppos != m->read_pos) {
		while ((err = traverse(m, *ppos)) == -EAGAIN)
			;
		if (err) {
			/* With prejudice... */
			m->read_pos = 0;
			m->index = 0;
			m->count = 0;
			goto Done;
		} else {
			m->read_pos = *ppos;
		}
	}

	/* grab buffer if we didn't have one */
	if (!m->buf) {
		m->buf = seq_buf_alloc(m->size = PAGE_SIZE);
		if (!m->buf)
			goto Enomem;
	}
	/* if not empty - flush it first */
	if (m->count) {
		n = m->count - lkm_user_copy_out(ubuf, m->buf + m->from, m->count);
		m->count -= n;
		m->from += n;
		copied += n;
		if (m->count) /* hadn't managed to copy everything */
			goto Done;
	}
	/* we need at least one non-empty record in the buffer */
	m->from = 0;
	p = m->op->start(m, &m->index);
	while (1) {
		err = IS_ERR_VALUE(p) ? (int)(long)p : 0;
		if (!p || IS_ERR_VALUE(p)) /* EOF or an error */
			break;
		err = m->op->show(m, p);
		if (err < 0) /* hard error */
			break;
		if (err) /* ->show() says "skip it" */
			m->count = 0;
		if (!m->count) { /* empty record */
			p = m->op->next(m, p, &m->index);
			continue;
		}
		if (!seq_has_overflowed(m)) /* got it */
			goto Fill;
		/* need a bigger buffer */
		m->op->stop(m, p);
		free(m->buf);
		m->count = 0;
		m->buf = seq_buf_alloc(m->size <<= 1);
		if (!m->buf)
			goto Enomem;
		p = m->op->start(m, &m->index);
	}
	/* EOF or an error */
	m->op->stop(m, p);
	m->count = 0;
	goto Done;
Fill:
	/* one non-empty record is in the buffer; if they want more, try to fit */
	while (1) {
		size_t offs = m->count;
		long long pos = m->index;

		p = m->op->next(m, p, &m->index);
		if (pos == m->index) {
			lkm_seq_buggy_next((const void *)m->op->next);
			m->index++;
		}
		if (!p || IS_ERR_VALUE(p)) /* no next record for us */
			break;
		if (m->count >= size - copied)
			break;
		err = m->op->show(m, p);
		if (err > 0) { /* ->show() says "skip it" */
			m->count = offs;
		} else if (err || seq_has_overflowed(m)) {
			m->count = offs;
			break;
		}
	}
	m->op->stop(m, p);
	n = m->count < size - copied ? m->count : size - copied;
	n -= lkm_user_copy_out(ubuf + copied, m->buf, n);
	copied += n;
	m->count -= n;
	m->from = n;
Done:
	if (!copied) {
		copied = m->count ? -EFAULT : err;
	} else {
		*ppos += copied;
		m->read_pos += copied;
	}
	return copied;
Enomem:
	err = -ENOMEM;
	goto Done;
}

long long seq_lseek(void *file, long long offset, int whence)
{
	struct seq_file *m = *file_private(file);
	long long retval = -EINVAL;

	switch (whence) {
	case 1: /* SEEK_CUR */
		offset += *file_pos(file);
		/* fall through */
	case 0: /* SEEK_SET */
		if (offset < 0)
			break;
		retval = offset;
		if (offset != m->read_pos) {
			while ((retval = traverse(m, offset)) == -EAGAIN)
				;
			if (retval) {
				/* with extreme prejudice... */
				*file_pos(file) = 0;
				m->read_pos = 0;
				m->index = 0;
				m->count = 0;
			} else {
				m->read_pos = offset;
				retval = *file_pos(file) = offset;
			}
		} else {
			*file_pos(file) = offset;
		}
	}
	return retval;
}

int seq_release(void *inode, void *file)
{
	struct seq_file *m = *file_private(file);

	(void)inode;
	free(m->buf);
	free(m);
	return 0;
}

void seq_vprintf(struct seq_file *m, const char *f, va_list args)
{
	int len;
	va_list ap;

	if (m->count < m->size) {
		va_copy(ap, args);
		len = vsnprintf(m->buf + m->count, m->size - m->count, f, ap);
		va_end(ap);
		if (len >= 0 && m->count + len < m->size) {
			m->count += len;
			return;
		}
	}
	seq_set_overflow(m);
}

void seq_printf(struct seq_file *m, const char *f, ...)
{
	va_list args;

	va_start(args, f);
	seq_vprintf(m, f, args);
	va_end(args);
}

void seq_puts(struct seq_file *m, const char *s)
{
	size_t len = strlen(s);

	if (m->count + len >= m->size) {
		seq_set_overflow(m);
		return;
	}
	memcpy(m->buf + m->count, s, len);
	m->count += len;
}

void seq_putc(struct seq_file *m, char c)
{
	if (m->count >= m->size)
		return;
	m->buf[m->count++] = c;
}

int seq_write(struct seq_file *seq, const void *data, size_t len)
{
	if (seq->count + len < seq->size) {
		memcpy(seq->buf + seq->count, data, len);
		seq->count += len;
		return 0;
	}
	seq_set_overflow(seq);
	return -1;
}

void seq_put_decimal_ull(struct seq_file *m, const char *delimiter, unsigned long long num)
{
	seq_printf(m, "%s%llu", delimiter, num);
}

void seq_put_decimal_ll(struct seq_file *m, const char *delimiter, long long num)
{
	seq_printf(m, "%s%lld", delimiter, num);
}

/* ---- single_open: one show call for the whole file ---- */

static void *single_start(struct seq_file *p, long long *pos)
{
	(void)p;
	return *pos ? NULL : (void *)1;
}

static void *single_next(struct seq_file *p, void *v, long long *pos)
{
	(void)p;
	(void)v;
	++*pos;
	return NULL;
}

static void single_stop(struct seq_file *p, void *v)
{
	(void)p;
	(void)v;
}

int single_open(void *file, int (*show)(struct seq_file *, void *), void *data)
{
	struct seq_operations *op = malloc(sizeof(*op));
	int res = -ENOMEM;

	if (op) {
		op->start = single_start;
		op->next = single_next;
		op->stop = single_stop;
		op->show = show;
		res = seq_open(file, op);
		if (!res)
			((struct seq_file *)*file_private(file))->private = data;
		else
			free(op);
	}
	return res;
}

int single_open_size(void *file, int (*show)(struct seq_file *, void *), void *data,
		     size_t size)
{
	char *buf = seq_buf_alloc(size);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = single_open(file, show, data);
	if (ret) {
		free(buf);
		return ret;
	}
	((struct seq_file *)*file_private(file))->buf = buf;
	((struct seq_file *)*file_private(file))->size = size;
	return 0;
}

int single_release(void *inode, void *file)
{
	const struct seq_operations *op = ((struct seq_file *)*file_private(file))->op;
	int res = seq_release(inode, file);

	free((void *)op);
	return res;
}

void *__seq_open_private(void *file, const struct seq_operations *ops, int psize)
{
	int rc;
	void *private;

	private = calloc(1, psize > 0 ? (size_t)psize : 1);
	if (private == NULL)
		return NULL;
	rc = seq_open(file, ops);
	if (rc < 0) {
		free(private);
		return NULL;
	}
	((struct seq_file *)*file_private(file))->private = private;
	return private;
}

int seq_open_private(void *filp, const struct seq_operations *ops, int psize)
{
	return __seq_open_private(filp, ops, psize) ? 0 : -ENOMEM;
}

int seq_release_private(void *inode, void *file)
{
	struct seq_file *seq = *file_private(file);

	free(seq->private);
	seq->private = NULL;
	return seq_release(inode, file);
}

/* seq_list_* over a struct list_head { next, prev }. */
struct lkm_list_head {
	struct lkm_list_head *next, *prev;
};

struct lkm_list_head *seq_list_start(struct lkm_list_head *head, long long pos)
{
	struct lkm_list_head *lh;

	for (lh = head->next; lh != head; lh = lh->next)
		if (pos-- == 0)
			return lh;
	return NULL;
}

struct lkm_list_head *seq_list_start_head(struct lkm_list_head *head, long long pos)
{
	if (!pos)
		return head;
	return seq_list_start(head, pos - 1);
}

struct lkm_list_head *seq_list_next(void *v, struct lkm_list_head *head, long long *ppos)
{
	struct lkm_list_head *lh = ((struct lkm_list_head *)v)->next;

	++*ppos;
	return lh == head ? NULL : lh;
}

/* ---- the host's opens for proc_create_single_data and proc_create_seq_private ---- */

int lkm_proc_single_open(void *inode, void *file, int (*show)(struct seq_file *, void *),
			 void *data)
{
	(void)inode;
	return single_open(file, show, data);
}

int lkm_proc_seq_open(void *inode, void *file, const struct seq_operations *ops,
		      unsigned int state_size, void *data)
{
	struct seq_file *m;

	(void)inode;
	if (state_size) {
		if (!__seq_open_private(file, ops, state_size))
			return -ENOMEM;
	} else {
		int ret = seq_open(file, ops);

		if (ret)
			return ret;
	}
	m = *file_private(file);
	/* Linux's proc_seq_open: with no private state, m->private is the entry's data. */
	if (!state_size)
		m->private = data;
	return 0;
}

/* ---- procfs registration ---- */

void *proc_create_data(const char *name, unsigned short mode, void *parent, const void *proc_ops,
		       void *data)
{
	return lkm_proc_create(name, mode, parent, proc_ops, data, 0, 0, CALLER);
}

void *proc_create(const char *name, unsigned short mode, void *parent, const void *proc_ops)
{
	return lkm_proc_create(name, mode, parent, proc_ops, NULL, 0, 0, CALLER);
}

void *proc_create_single_data(const char *name, unsigned short mode, void *parent,
			      int (*show)(struct seq_file *, void *), void *data)
{
	return lkm_proc_create(name, mode, parent, (const void *)show, data, 2, 0, CALLER);
}

void *proc_create_seq_private(const char *name, unsigned short mode, void *parent,
			      const struct seq_operations *ops, unsigned int state_size,
			      void *data)
{
	return lkm_proc_create(name, mode, parent, ops, data, 3, state_size, CALLER);
}

void *proc_mkdir(const char *name, void *parent)
{
	return lkm_proc_create(name, 0, parent, NULL, NULL, 1, 0, CALLER);
}

void *proc_mkdir_mode(const char *name, unsigned short mode, void *parent)
{
	return lkm_proc_create(name, mode, parent, NULL, NULL, 1, 0, CALLER);
}

void *proc_mkdir_data(const char *name, unsigned short mode, void *parent, void *data)
{
	return lkm_proc_create(name, mode, parent, NULL, data, 1, 0, CALLER);
}

/* ---- sysfs ---- */

void *kobject_create_and_add(const char *name, void *parent)
{
	return lkm_kobject_create_and_add(name, parent, CALLER);
}

int sysfs_create_file_ns(void *kobj, const void *attr, const void *ns)
{
	(void)ns;
	return lkm_sysfs_create_file(kobj, attr, CALLER);
}

int sysfs_create_files(void *kobj, const void *const *attrs)
{
	int err = 0;
	int i;

	for (i = 0; attrs[i] && !err; i++)
		err = lkm_sysfs_create_file(kobj, attrs[i], CALLER);
	return err;
}

int sysfs_create_group(void *kobj, const void *grp)
{
	return lkm_sysfs_create_group(kobj, grp, CALLER);
}

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list args;
	int len;

	if (!buf || ((unsigned long)buf & (PAGE_SIZE - 1))) {
		__lkm_warn("fs/sysfs/file.c", 767, "invalid sysfs_emit: buf:%p\n", buf);
		return 0;
	}
	va_start(args, fmt);
	len = vscnprintf(buf, PAGE_SIZE, fmt, args);
	va_end(args);
	return len;
}

int sysfs_emit_at(char *buf, int at, const char *fmt, ...)
{
	va_list args;
	int len;

	if (!buf || ((unsigned long)buf & (PAGE_SIZE - 1)) || at < 0 || at >= (int)PAGE_SIZE) {
		__lkm_warn("fs/sysfs/file.c", 795, "invalid sysfs_emit_at: buf:%p at:%d\n", buf,
			   at);
		return 0;
	}
	va_start(args, fmt);
	len = vscnprintf(buf + at, PAGE_SIZE - at, fmt, args);
	va_end(args);
	return len;
}
