// SPDX-License-Identifier: GPL-2.0
/*
 * Every relocation gcc emits with the SDK's flags: a switch jump table
 * (R_X86_64_32S into .rodata, R_X86_64_64 entries), function-pointer tables
 * in .data and .rodata, pointers to strings in .rodata.str1.*, a static
 * helper only called from __init (so in .text.unlikely), a stack-protected
 * function (__stack_chk_guard, __stack_chk_fail), calls (PLT32) and data
 * references (PC32).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/string.h>

static volatile int seed = 10;
static volatile int side;
int relocs_counter;

static noinline int relocs_dispatch(int op, int x)
{
	switch (op) {
	case 0: side += 1; return x + 1;
	case 1: side += 2; return x * 3;
	case 2: side += 3; return x - 7;
	case 3: side += 4; return x << 2;
	case 4: side += 5; return x ^ 0x55;
	case 5: side += 6; return x / 2;
	case 6: side += 7; return -x;
	case 7: side += 8; return x % 5;
	default: return 0;
	}
}

static noinline int add1(int x) { return x + 1; }
static noinline int dbl(int x) { return x * 2; }
static noinline int sq(int x) { return x * x; }

/* Global, so that gcc cannot promote them to .rodata: they stay in .data. */
int (*relocs_data_ops[])(int) = { add1, dbl, sq };
const char *relocs_names[] = { "alpha", "beta", "gamma" };
static int (*const rodata_ops[])(int) = { sq, dbl, add1 };

static noinline int init_only_helper(int x)
{
	return x * 7 + 1;
}

static noinline int relocs_checksum(const char *s)
{
	char buf[32];
	int i, sum = 0;

	strscpy(buf, s, sizeof(buf));
	for (i = 0; buf[i]; i++)
		sum += buf[i];
	return sum;
}

static int __init relocs_init(void)
{
	int r[8], i;
	volatile int n = 3;

	for (i = 0; i < 8; i++)
		r[i] = relocs_dispatch(i, seed);
	pr_info("switch: %d %d %d %d %d %d %d %d side=%d\n",
		r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], side);
	pr_info("data table: %d %d %d\n", relocs_data_ops[0](seed), relocs_data_ops[1](seed),
		relocs_data_ops[2](seed));
	pr_info("rodata table: %d %d %d\n", rodata_ops[0](seed), rodata_ops[1](seed),
		rodata_ops[n - 1](seed));
	pr_info("strings: %s %s %s\n", relocs_names[0], relocs_names[1], relocs_names[n - 1]);
	pr_info("init helper: %d\n", init_only_helper(seed));
	pr_info("stack protector: checksum=%d\n", relocs_checksum("lkm"));
	relocs_counter = 5;
	return 0;
}

static void __exit relocs_exit(void)
{
	pr_info("exit: dispatch(3)=%d counter=%d\n", relocs_dispatch(3, seed), relocs_counter);
}

module_init(relocs_init);
module_exit(relocs_exit);
MODULE_LICENSE("GPL");
