// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs from a module (tests/debugfs.rs): a directory of value files of every type, a blob, a
 * file with its own file_operations that reads inode->i_private and reports the module's view of
 * the variables, attribute files (DEFINE_DEBUGFS_ATTRIBUTE, unsigned and signed, and a read-only
 * DEFINE_SIMPLE_ATTRIBUTE), and the error cases: a duplicate name, an ERR_PTR parent, lookups.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/atomic.h>
#include <linux/mutex.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("debugfs values, files and attributes");

static struct dentry *dir;
static u8 v8 = 200;
static u16 v16 = 60000;
static u32 v32 = 4000000000u;
static u64 v64 = 18000000000000000000ull;
static u32 h32 = 0xbeef;
static u8 h8 = 0xa;
static size_t vsize = 4096;
static unsigned long vulong = 123456789ul;
static atomic_t vatomic = ATOMIC_INIT(-5);
static bool vbool = true;
static char *vstr = "a string";
static u32 ro32 = 7;
static const char blob_bytes[] = "blob\0with a NUL\n";
static struct debugfs_blob_wrapper blob = {
	.data = (void *)blob_bytes,
	.size = sizeof(blob_bytes) - 1,
};

static char private_tag[] = "i_private works";
static u64 counter = 10;
static s64 signed_value = -1;

/* A file of its own: what the module sees, written out on read. */
static ssize_t summary_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	char text[256];
	const char *tag = file_inode(file)->i_private;
	int n = scnprintf(text, sizeof(text),
			  "%s: v8=%u v16=%u v32=%u v64=%llu h32=%#x vbool=%d vatomic=%d dentry=%s\n",
			  tag, v8, v16, v32, v64, h32, vbool, atomic_read(&vatomic),
			  file->f_path.dentry->d_name.name);

	return simple_read_from_buffer(buf, len, ppos, text, n);
}

static const struct file_operations summary_fops = {
	.owner = THIS_MODULE,
	.read = summary_read,
	.llseek = default_llseek,
};

/* A file with a size (debugfs_create_file_size): what its inode says. */
static ssize_t sized_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	char text[32];
	int n = scnprintf(text, sizeof(text), "i_size=%lld\n", file_inode(file)->i_size);

	return simple_read_from_buffer(buf, len, ppos, text, n);
}

static const struct file_operations sized_fops = {
	.owner = THIS_MODULE,
	.read = sized_read,
};

/* simple_attr_read without simple_attr_open: a module bug the kernel answers with -EINVAL. */
static const struct file_operations rogue_fops = {
	.owner = THIS_MODULE,
	.read = simple_attr_read,
};

static int counter_get(void *data, u64 *val)
{
	*val = *(u64 *)data;
	return 0;
}

static int counter_set(void *data, u64 val)
{
	if (val > 1000)
		return -ERANGE;
	*(u64 *)data = val * 2;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(counter_fops, counter_get, counter_set, "%llu\n");

static int signed_get(void *data, u64 *val)
{
	*val = *(s64 *)data;
	return 0;
}

static int signed_set(void *data, u64 val)
{
	*(s64 *)data = (s64)val;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE_SIGNED(signed_fops, signed_get, signed_set, "%lld\n");

static int hex_get(void *data, u64 *val)
{
	*val = 0x1234;
	return 0;
}
DEFINE_SIMPLE_ATTRIBUTE(hex_fops, hex_get, NULL, "0x%04llx\n");

static int __init dbg_values_init(void)
{
	struct dentry *d, *bad;

	dir = debugfs_create_dir("dbg_values", NULL);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	debugfs_create_u8("u8", 0644, dir, &v8);
	debugfs_create_u16("u16", 0644, dir, &v16);
	debugfs_create_u32("u32", 0644, dir, &v32);
	debugfs_create_u64("u64", 0644, dir, &v64);
	debugfs_create_x32("x32", 0644, dir, &h32);
	debugfs_create_x8("x8", 0644, dir, &h8);
	debugfs_create_size_t("size_t", 0444, dir, &vsize);
	debugfs_create_ulong("ulong", 0644, dir, &vulong);
	debugfs_create_atomic_t("atomic", 0644, dir, &vatomic);
	debugfs_create_bool("bool", 0644, dir, &vbool);
	debugfs_create_str("str", 0444, dir, &vstr);
	debugfs_create_u32("ro32", 0444, dir, &ro32);
	debugfs_create_blob("blob", 0444, dir, &blob);
	debugfs_create_file("summary", 0444, dir, private_tag, &summary_fops);
	debugfs_create_file("counter", 0644, dir, &counter, &counter_fops);
	debugfs_create_file("signed", 0644, dir, &signed_value, &signed_fops);
	debugfs_create_file("hex", 0444, dir, NULL, &hex_fops);
	debugfs_create_file_size("sized", 0444, dir, NULL, &sized_fops, 4096);
	debugfs_create_file("rogue", 0444, dir, NULL, &rogue_fops);

	d = debugfs_create_dir("sub", dir);
	debugfs_create_u32("inner", 0644, d, &ro32);
	debugfs_create_dir("gone", dir);

	/* A second entry of one name: -EEXIST, and Linux's message. */
	bad = debugfs_create_dir("sub", dir);
	pr_info("dbg_values: duplicate: %ld\n", PTR_ERR(bad));
	/* An ERR_PTR parent comes back as it is. */
	d = debugfs_create_file("orphan", 0444, bad, NULL, &summary_fops);
	pr_info("dbg_values: under an error: %ld\n", PTR_ERR(d));
	/* Lookups: found, not found; lookup_and_remove takes "gone" away. */
	d = debugfs_lookup("sub", dir);
	pr_info("dbg_values: lookup sub: %s\n", d ? (const char *)d->d_name.name : "(null)");
	dput(d);
	pr_info("dbg_values: lookup nothing: %s\n", debugfs_lookup("nothing", dir) ? "found" : "NULL");
	debugfs_lookup_and_remove("gone", dir);
	pr_info("dbg_values: initialized: %d\n", debugfs_initialized());
	return 0;
}

static void __exit dbg_values_exit(void)
{
	pr_info("dbg_values: counter=%llu signed=%lld v8=%u vbool=%d vatomic=%d\n", counter,
		signed_value, v8, vbool, atomic_read(&vatomic));
	debugfs_remove_recursive(dir);
}

module_init(dbg_values_init);
module_exit(dbg_values_exit);
