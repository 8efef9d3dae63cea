// SPDX-License-Identifier: GPL-2.0
/*
 * procfs and seq_file: a single_open file written through proc_write, a proc_mkdir directory with
 * a seq_operations iterator over 1000 records (more than a page, one record longer than a page),
 * a file whose data comes from pde_data, a proc_create_single entry, and an entry removed with
 * proc_remove.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/kstrtox.h>
#include <linux/string.h>

#define NRECORDS 1000
#define LONG_RECORD 500
#define LONG_LEN 6000

static int value = 42;
static char label[64] = "initial";
static struct proc_dir_entry *dir, *single, *gone;
static int opens, releases;

static int single_show(struct seq_file *m, void *v)
{
	seq_printf(m, "value=%d\n", value);
	seq_printf(m, "label=%s\n", label);
	seq_puts(m, "opens=");
	seq_put_decimal_ull(m, "", opens);
	seq_putc(m, '\n');
	return 0;
}

static int single_proc_open(struct inode *inode, struct file *file)
{
	opens++;
	return single_open(file, single_show, NULL);
}

static int single_proc_release(struct inode *inode, struct file *file)
{
	releases++;
	return single_release(inode, file);
}

static ssize_t single_proc_write(struct file *file, const char __user *ubuf, size_t count,
				 loff_t *ppos)
{
	char buf[64];
	size_t n = count < sizeof(buf) - 1 ? count : sizeof(buf) - 1;
	int v;

	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (kstrtoint(buf, 0, &v) == 0) {
		value = v;
	} else {
		strscpy(label, buf, sizeof(label));
	}
	pr_info("proc_seq: write of %zu bytes\n", count);
	return count;
}

static const struct proc_ops single_ops = {
	.proc_open = single_proc_open,
	.proc_read = seq_read,
	.proc_write = single_proc_write,
	.proc_lseek = seq_lseek,
	.proc_release = single_proc_release,
};

static void *rec_start(struct seq_file *m, loff_t *pos)
{
	return *pos < NRECORDS ? (void *)(unsigned long)(*pos + 1) : NULL;
}

static void *rec_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return rec_start(m, pos);
}

static void rec_stop(struct seq_file *m, void *v)
{
}

static int rec_show(struct seq_file *m, void *v)
{
	unsigned long i = (unsigned long)v - 1;

	if (i == LONG_RECORD) {
		int k;

		seq_printf(m, "record %04lu: ", i);
		for (k = 0; k < LONG_LEN; k++)
			seq_putc(m, 'x');
		seq_putc(m, '\n');
		return 0;
	}
	seq_printf(m, "record %04lu: %s %lu\n", i, (char *)m->private, i * i);
	return 0;
}

static const struct seq_operations rec_ops = {
	.start = rec_start,
	.next = rec_next,
	.stop = rec_stop,
	.show = rec_show,
};

static int rec_open(struct inode *inode, struct file *file)
{
	int r = seq_open(file, &rec_ops);

	if (!r)
		((struct seq_file *)file->private_data)->private = pde_data(inode);
	return r;
}

static const struct proc_ops rec_proc_ops = {
	.proc_open = rec_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = seq_release,
};

static char data_text[] = "data-from-pde";

static int data_show(struct seq_file *m, void *v)
{
	seq_printf(m, "pde_data says %s\n", (char *)m->private);
	return 0;
}

static int data_open(struct inode *inode, struct file *file)
{
	if (pde_data(inode) != inode->i_private)
		return -EINVAL;
	return single_open(file, data_show, pde_data(inode));
}

static const struct proc_ops data_ops = {
	.proc_open = data_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static int quick_show(struct seq_file *m, void *v)
{
	seq_printf(m, "quick %s releases=%d\n", (char *)m->private ?: "(null)", releases);
	return 0;
}

static char tag[] = "rec";

static int __init proc_seq_init(void)
{
	single = proc_create("proc_seq", 0644, NULL, &single_ops);
	dir = proc_mkdir("proc_seq_dir", NULL);
	if (!single || !dir)
		return -ENOMEM;
	/* As LKMPG's procfs3 does (<linux/uidgid.h> through <linux/proc_fs.h>). */
	proc_set_user(single, GLOBAL_ROOT_UID, GLOBAL_ROOT_GID);
	if (!proc_create_data("records", 0444, dir, &rec_proc_ops, tag) ||
	    !proc_create_data("data", 0, dir, &data_ops, data_text) ||
	    !proc_create_single("quick", 0444, dir, quick_show) ||
	    !proc_mkdir("sub", dir))
		return -ENOMEM;
	gone = proc_create("gone", 0444, dir, &data_ops);
	proc_remove(gone);
	/* Duplicates are refused. */
	pr_info("proc_seq: duplicate %s\n", proc_create("records", 0444, dir, &rec_proc_ops) ? "accepted" : "refused");
	pr_info("proc_seq: loaded\n");
	return 0;
}

static void __exit proc_seq_exit(void)
{
	remove_proc_entry("records", dir);
	remove_proc_subtree("proc_seq_dir", NULL);
	proc_remove(single);
}

module_init(proc_seq_init);
module_exit(proc_seq_exit);
MODULE_LICENSE("GPL");
