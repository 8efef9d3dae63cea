// SPDX-License-Identifier: GPL-2.0
/* sscanf and vsscanf with the kernel's rules; each result printed on its own line. */
#include <linux/module.h>
#include <linux/kernel.h>

static int vscan(const char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsscanf(buf, fmt, ap);
	va_end(ap);
	return n;
}

static int __init lib_scanf_init(void)
{
	int a = 0, b = 0, c = 0, cnt = -1;
	unsigned int u = 0, x = 0;
	long l = 0;
	long long ll = 0;
	unsigned long long ull = 0;
	size_t z = 0;
	short h = 0;
	signed char hh = 0;
	char s1[16] = "", s2[16] = "", ch[4] = "zzz";
	char m1[4], m2[4], m3[4];
	int n;

	n = sscanf("12 -34 0x1f", "%d %i %i", &a, &b, &c);
	pr_info("lib_scanf: ints n=%d %d %d %d\n", n, a, b, c);
	n = sscanf("ff 017 4294967295", "%x %o %u", &x, &a, &u);
	pr_info("lib_scanf: bases n=%d %x %o %u\n", n, x, a, u);
	n = sscanf("-9000000000 18446744073709551615 77 -2 300 -129",
		   "%lld %llu %zu %ld %hd %hhd", &ll, &ull, &z, &l, &h, &hh);
	pr_info("lib_scanf: sizes n=%d %lld %llu %zu %ld %hd %hhd\n", n, ll, ull, z, l, h, hh);
	n = sscanf("123456", "%2d%3d%d", &a, &b, &c);
	pr_info("lib_scanf: widths n=%d %d %d %d\n", n, a, b, c);
	n = sscanf("  hello worldwide", "%s %5s%n", s1, s2, &cnt);
	pr_info("lib_scanf: strings n=%d '%s' '%s' consumed %d\n", n, s1, s2, cnt);
	n = sscanf("xyz", "%2c", ch);
	pr_info("lib_scanf: chars n=%d '%s'\n", n, ch);
	n = sscanf("00:0a:95", "%2[^:]:%2[^:]:%2[^:]", m1, m2, m3);
	pr_info("lib_scanf: sets n=%d %s %s %s\n", n, m1, m2, m3);
	n = sscanf("skip 42", "%*s %d", &a);
	pr_info("lib_scanf: suppressed n=%d %d\n", n, a);
	n = sscanf("x=5;y=6", "x=%d,y=%d", &a, &b);
	pr_info("lib_scanf: mismatch n=%d %d\n", n, a);
	n = sscanf("abc", "%d", &a);
	pr_info("lib_scanf: no digits n=%d\n", n);
	n = vscan("7 8", "%d %d", &a, &b);
	pr_info("lib_scanf: vsscanf n=%d %d %d\n", n, a, b);
	return 0;
}

static void __exit lib_scanf_exit(void)
{
}

module_init(lib_scanf_init);
module_exit(lib_scanf_exit);
MODULE_LICENSE("GPL");
