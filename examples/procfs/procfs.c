// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/procfs_example/counter: a seq_file over ten records, and /proc/procfs_example/step, a
 * single_open file whose value proc_write sets.  Each record of counter is `n * step`.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/kstrtox.h>

static struct proc_dir_entry *dir;
static int step = 1;

static void *counter_start(struct seq_file *m, loff_t *pos)
{
	return *pos < 10 ? pos : NULL;
}

static void *counter_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return counter_start(m, pos);
}

static void counter_stop(struct seq_file *m, void *v)
{
}

static int counter_show(struct seq_file *m, void *v)
{
	loff_t n = *(loff_t *)v;

	seq_printf(m, "%lld * %d = %lld\n", n, step, n * step);
	return 0;
}

static const struct seq_operations counter_ops = {
	.start = counter_start,
	.next = counter_next,
	.stop = counter_stop,
	.show = counter_show,
};

static int step_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", step);
	return 0;
}

static int step_open(struct inode *inode, struct file *file)
{
	return single_open(file, step_show, NULL);
}

static ssize_t step_write(struct file *file, const char __user *ubuf, size_t count, loff_t *ppos)
{
	char buf[16];
	size_t n = min(count, sizeof(buf) - 1);
	int v, r;

	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = '\0';
	r = kstrtoint(buf, 0, &v);
	if (r)
		return r;
	step = v;
	return count;
}

static const struct proc_ops step_ops = {
	.proc_open = step_open,
	.proc_read = seq_read,
	.proc_write = step_write,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static int __init procfs_example_init(void)
{
	dir = proc_mkdir("procfs_example", NULL);
	if (!dir)
		return -ENOMEM;
	if (!proc_create_seq("counter", 0444, dir, &counter_ops) ||
	    !proc_create("step", 0644, dir, &step_ops)) {
		proc_remove(dir);
		return -ENOMEM;
	}
	pr_info("procfs_example: /proc/procfs_example ready\n");
	return 0;
}

static void __exit procfs_example_exit(void)
{
	proc_remove(dir);
}

module_init(procfs_example_init);
module_exit(procfs_example_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A /proc directory with a seq_file and a writable file");
