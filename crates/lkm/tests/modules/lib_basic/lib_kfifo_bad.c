// SPDX-License-Identifier: GPL-2.0
/* kfifo_out into a read-only buffer: the write faults inside __kfifo_out, an oops. */
#include <linux/module.h>
#include <linux/kfifo.h>

static DEFINE_KFIFO(fifo, int, 4);
static const int ro[4] = { 1, 2, 3, 4 };

static int __init lib_kfifo_bad_init(void)
{
	unsigned int n = kfifo_in(&fifo, ro, 4);
	pr_info("lib_kfifo_bad: in %u\n", n);
	n = kfifo_out(&fifo, (int *)ro, 4);
	pr_info("lib_kfifo_bad: not reached %u\n", n);
	return 0;
}

static void __exit lib_kfifo_bad_exit(void)
{
}

module_init(lib_kfifo_bad_init);
module_exit(lib_kfifo_bad_exit);
MODULE_LICENSE("GPL");
