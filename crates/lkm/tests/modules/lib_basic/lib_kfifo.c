// SPDX-License-Identifier: GPL-2.0
/* kfifo: static, allocated and caller-buffer fifos, wrap-around, put/get/peek, accounting. */
#include <linux/module.h>
#include <linux/kfifo.h>
#include <linux/slab.h>
#include <lkm/memory.h>

static DEFINE_KFIFO(ints, int, 8);
static DECLARE_KFIFO(chars, char, 4);
static struct kfifo bytes;
static DECLARE_KFIFO_PTR(words, u16);
static struct kfifo over;
static unsigned char store[100];

static int __init lib_kfifo_init(void)
{
	int v[12], i, n, r;
	char c = 0;
	unsigned char out[16];
	u16 w = 0;

	for (i = 0; i < 12; i++)
		v[i] = i * 10;
	pr_info("lib_kfifo: ints size %u esize %u empty %d avail %u\n", kfifo_size(&ints),
		kfifo_esize(&ints), kfifo_is_empty(&ints), kfifo_avail(&ints));
	n = kfifo_in(&ints, v, 12);
	pr_info("lib_kfifo: in %d len %u full %d\n", n, kfifo_len(&ints), kfifo_is_full(&ints));
	n = kfifo_out(&ints, v, 5);
	pr_info("lib_kfifo: out %d: %d %d %d %d %d len %u\n", n, v[0], v[1], v[2], v[3], v[4],
		kfifo_len(&ints));
	for (i = 0; i < 12; i++)
		v[i] = 100 + i;
	n = kfifo_in(&ints, v, 12); /* wraps around the ring's end */
	pr_info("lib_kfifo: in again %d len %u\n", n, kfifo_len(&ints));
	n = kfifo_out_peek(&ints, v, 8);
	pr_info("lib_kfifo: peek %d: %d %d %d %d %d %d %d %d len %u\n", n, v[0], v[1], v[2], v[3],
		v[4], v[5], v[6], v[7], kfifo_len(&ints));
	kfifo_reset(&ints);
	pr_info("lib_kfifo: reset empty %d\n", kfifo_is_empty(&ints));

	INIT_KFIFO(chars);
	n = kfifo_put(&chars, 'a') + kfifo_put(&chars, 'b') + kfifo_put(&chars, 'c') +
	    kfifo_put(&chars, 'd') + kfifo_put(&chars, 'e');
	pr_info("lib_kfifo: put %d full %d\n", n, kfifo_is_full(&chars));
	r = kfifo_peek(&chars, &c);
	pr_info("lib_kfifo: peek %d '%c' len %u\n", r, c, kfifo_len(&chars));
	r = kfifo_get(&chars, &c);
	pr_info("lib_kfifo: get %d '%c' len %u\n", r, c, kfifo_len(&chars));

	r = kfifo_alloc(&bytes, 10, GFP_KERNEL); /* rounded up to 16 */
	pr_info("lib_kfifo: alloc %d size %u\n", r, kfifo_size(&bytes));
	n = kfifo_in(&bytes, "0123456789abcdefXYZ", 19);
	n = kfifo_out(&bytes, out, sizeof(out) - 1);
	out[n] = 0;
	pr_info("lib_kfifo: bytes %d '%s'\n", n, out);
	r = kfifo_alloc(&words, 3, GFP_KERNEL); /* 4 elements of 2 bytes */
	kfifo_put(&words, 0xbeef);
	r = kfifo_get(&words, &w);
	pr_info("lib_kfifo: words size %u esize %u got %d %x\n", kfifo_size(&words),
		kfifo_esize(&words), r, w);
	r = kfifo_init(&over, store, sizeof(store)); /* 100 bytes: 64 used */
	pr_info("lib_kfifo: init %d size %u\n", r, kfifo_size(&over));
	r = kfifo_alloc(&over, 1, GFP_KERNEL);
	pr_info("lib_kfifo: alloc(1) %d\n", r);
	{
		unsigned long allocs = 0, total = 0;
		__lkm_module_memory("lib_kfifo", &allocs, &total);
		pr_info("lib_kfifo: holds %lu allocation(s), %lu bytes\n", allocs, total);
		kfifo_free(&bytes);
		kfifo_free(&words);
		__lkm_module_memory("lib_kfifo", &allocs, &total);
		pr_info("lib_kfifo: after free %lu allocation(s), %lu bytes, size %u\n", allocs,
			total, kfifo_size(&bytes));
	}
	return 0;
}

static void __exit lib_kfifo_exit(void)
{
}

module_init(lib_kfifo_init);
module_exit(lib_kfifo_exit);
MODULE_LICENSE("GPL");
