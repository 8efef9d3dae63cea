// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpipe: a misc device whose read sleeps (wait_event_interruptible) until a writer brings data,
 * with a poll that waits on the same queue; O_NONBLOCK reads get -EAGAIN. And lkmzero, /dev/zero's
 * read side (clear_user), for throughput.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/poll.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/string.h>

#define PIPE_BUF_SIZE 4096

static DECLARE_WAIT_QUEUE_HEAD(pipe_wait);
static DEFINE_MUTEX(pipe_lock);
static char pipe_buf[PIPE_BUF_SIZE];
static size_t pipe_len;

static ssize_t pipe_read(struct file *file, char __user *buf, size_t count, loff_t *off)
{
	size_t n;
	int ret;

	mutex_lock(&pipe_lock);
	while (!pipe_len) {
		mutex_unlock(&pipe_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		pr_info("lkmpipe: %s (pid %d) waits\n", current->comm, current->pid);
		ret = wait_event_interruptible(pipe_wait, READ_ONCE(pipe_len) != 0);
		if (ret) {
			/* The signals that ended the sleep, as a driver may look at them. */
			pr_info("lkmpipe: %s interrupted (pending %lx)\n", current->comm,
				current->pending.signal.sig[0] & ~current->blocked.sig[0]);
			return ret;
		}
		mutex_lock(&pipe_lock);
	}
	n = min(count, pipe_len);
	if (copy_to_user(buf, pipe_buf, n)) {
		mutex_unlock(&pipe_lock);
		return -EFAULT;
	}
	memmove(pipe_buf, pipe_buf + n, pipe_len - n);
	pipe_len -= n;
	mutex_unlock(&pipe_lock);
	return n;
}

static ssize_t pipe_write(struct file *file, const char __user *buf, size_t count, loff_t *off)
{
	size_t n;

	mutex_lock(&pipe_lock);
	n = min(count, PIPE_BUF_SIZE - pipe_len);
	if (copy_from_user(pipe_buf + pipe_len, buf, n)) {
		mutex_unlock(&pipe_lock);
		return -EFAULT;
	}
	pipe_len += n;
	mutex_unlock(&pipe_lock);
	wake_up_interruptible(&pipe_wait);
	return n;
}

static __poll_t pipe_poll(struct file *file, poll_table *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &pipe_wait, wait);
	mutex_lock(&pipe_lock);
	if (pipe_len)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (pipe_len < PIPE_BUF_SIZE)
		mask |= EPOLLOUT | EPOLLWRNORM;
	mutex_unlock(&pipe_lock);
	return mask;
}

static const struct file_operations pipe_fops = {
	.owner = THIS_MODULE,
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.llseek = noop_llseek,
};

static struct miscdevice pipe_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "lkmpipe",
	.fops = &pipe_fops,
	.mode = 0666,
};

static ssize_t zero_read(struct file *file, char __user *buf, size_t count, loff_t *off)
{
	if (clear_user(buf, count))
		return -EFAULT;
	return count;
}

static const struct file_operations zero_fops = {
	.owner = THIS_MODULE,
	.read = zero_read,
	.llseek = noop_llseek,
};

static struct miscdevice zero_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "lkmzero",
	.fops = &zero_fops,
	.mode = 0666,
};

static int __init lkmpipe_init(void)
{
	int ret = misc_register(&pipe_dev);

	if (ret)
		return ret;
	ret = misc_register(&zero_dev);
	if (ret)
		misc_deregister(&pipe_dev);
	return ret;
}

static void __exit lkmpipe_exit(void)
{
	misc_deregister(&zero_dev);
	misc_deregister(&pipe_dev);
}

module_init(lkmpipe_init);
module_exit(lkmpipe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A blocking pipe device with poll, and a zero device");
