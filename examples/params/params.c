// SPDX-License-Identifier: GPL-2.0
/*
 * params.c - one module parameter of each kind.
 *
 *   lkm insmod params.ko mybyte=7 myshort=-300 myint=42 mycharp=hi \
 *        myintarray=1,2,3 mystring=hello quiet=1 verbose=n
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/stat.h>

static unsigned char mybyte = 'A';
module_param(mybyte, byte, 0444);
MODULE_PARM_DESC(mybyte, "A byte (unsigned char)");

static short myshort = -1;
module_param(myshort, short, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
MODULE_PARM_DESC(myshort, "A short integer");

static unsigned short myushort = 65535;
module_param(myushort, ushort, 0644);
MODULE_PARM_DESC(myushort, "An unsigned short integer");

static int myint = 420;
module_param(myint, int, S_IRUSR | S_IWUSR);
MODULE_PARM_DESC(myint, "An integer");

static unsigned int myuint = 4000000000U;
module_param(myuint, uint, 0600);
MODULE_PARM_DESC(myuint, "An unsigned integer");

static long mylong = 9999;
module_param(mylong, long, S_IRUGO);
MODULE_PARM_DESC(mylong, "A long integer");

static unsigned long myulong = 0xdeadbeefUL;
module_param(myulong, ulong, 0);
MODULE_PARM_DESC(myulong, "An unsigned long (not visible in sysfs: perm 0)");

static char *mycharp = "blah";
module_param(mycharp, charp, 0000);
MODULE_PARM_DESC(mycharp, "A character string (pointer)");

static bool mybool = true;
module_param(mybool, bool, 0644);
MODULE_PARM_DESC(mybool, "A boolean (y/n/1/0)");

static bool myinvbool = false;
module_param(myinvbool, invbool, 0444);
MODULE_PARM_DESC(myinvbool, "An inverted boolean: myinvbool=n stores true");

static int myintarray[4] = { -1, -1 };
static unsigned int arr_argc = 2;
module_param_array(myintarray, int, &arr_argc, 0444);
MODULE_PARM_DESC(myintarray, "An array of up to 4 integers");

static char mystring[16] = "default";
module_param_string(mystring, mystring, sizeof(mystring), 0644);
MODULE_PARM_DESC(mystring, "A string copied into a 16-byte buffer");

/* Parameter "verbose" stored in variable debug_level. */
static int debug_level = 1;
module_param_named(verbose, debug_level, int, 0644);
MODULE_PARM_DESC(verbose, "Verbosity (parameter name differs from the variable)");

static void show(const char *when)
{
	unsigned int i;

	pr_info("%s: mybyte=%u myshort=%hd myushort=%hu\n", when, mybyte, myshort, myushort);
	pr_info("%s: myint=%d myuint=%u mylong=%ld myulong=%#lx\n",
		when, myint, myuint, mylong, myulong);
	pr_info("%s: mycharp=%s mybool=%d myinvbool=%d mystring=%s verbose=%d\n",
		when, mycharp, mybool, myinvbool, mystring, debug_level);
	pr_info("%s: myintarray has %u element(s):", when, arr_argc);
	for (i = 0; i < arr_argc && i < ARRAY_SIZE(myintarray); i++)
		pr_cont(" %d", myintarray[i]);
	pr_cont("\n");
}

static int __init params_init(void)
{
	show("init");
	return 0;
}

static void __exit params_exit(void)
{
	show("exit");
}

module_init(params_init);
module_exit(params_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("lkm examples");
MODULE_DESCRIPTION("Module parameters of every basic type");
MODULE_VERSION("1.0");
