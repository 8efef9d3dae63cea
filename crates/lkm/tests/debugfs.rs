//! debugfs (`/sys/kernel/debug`): modules built against the SDK make directories, value files of
//! every type, blobs, files with their own `file_operations` and attribute files; `lkm cat` and
//! `lkm write` read and write them as `cat` and `echo >` would on Linux (through FUSE: tests/fuse.rs).

mod common;
use common::*;

const DIR: &str = "/sys/kernel/debug/dbg_values";

fn boot_with(name: &str, modules: &[&str]) -> Kernel {
    let b = built_ok("debugfs_basic");
    let k = Kernel::new(name).at(&b.dir);
    k.boot();
    for m in modules {
        k.load(&b.ko(m));
    }
    k
}

fn cat(k: &Kernel, file: &str) -> String {
    k.cat(&format!("{DIR}/{file}"))
}

/// `lkm write DIR/file value`: `Ok(())` or the error text.
fn write(k: &Kernel, file: &str, value: &str) -> Result<(), String> {
    let r = k.run(&["write", &format!("{DIR}/{file}"), value]);
    if r.code == Some(0) {
        Ok(())
    } else {
        Err(r.stderr)
    }
}

#[test]
fn value_files_show_and_take_values_in_linux_formats() {
    need_env!();
    let k = boot_with("dbg_values", &["dbg_values"]);
    assert!(k.cat("/sys/kernel").lines().any(|l| l == "debug"));
    assert!(k
        .cat("/sys/kernel/debug")
        .lines()
        .any(|l| l == "dbg_values"));
    assert_eq!(
        k.cat(DIR),
        "atomic\nblob\nbool\ncounter\nhex\nro32\nrogue\nsigned\nsize_t\nsized\nstr\nsub\nsummary\n\
         u16\nu32\nu64\nu8\nulong\nx32\nx8\n",
        "'gone' was removed by debugfs_lookup_and_remove"
    );
    for (file, want) in [
        ("u8", "200\n"),
        ("u16", "60000\n"),
        ("u32", "4000000000\n"),
        ("u64", "18000000000000000000\n"),
        ("x32", "0x0000beef\n"),
        ("x8", "0x0a\n"),
        ("size_t", "4096\n"),
        ("ulong", "123456789\n"),
        ("atomic", "-5\n"),
        ("bool", "Y\n"),
        ("str", "a string\n"),
        ("ro32", "7\n"),
        ("sub/inner", "7\n"),
    ] {
        assert_eq!(cat(&k, file), want, "{file}");
    }
    assert_eq!(cat(&k, "sized"), "i_size=4096\n");
    // A blob is its bytes, NUL included.
    assert_eq!(cat(&k, "blob"), "blob\0with a NUL\n");

    // Writes reach the module's variables: kstrtoull with base 0, truncated to the width.
    write(&k, "u8", "300").unwrap();
    assert_eq!(cat(&k, "u8"), "44\n");
    write(&k, "u8", "0x1f").unwrap();
    write(&k, "u16", "65535").unwrap();
    write(&k, "x32", "0xcafe").unwrap();
    assert_eq!(cat(&k, "x32"), "0x0000cafe\n");
    write(&k, "bool", "n").unwrap();
    write(&k, "atomic", "-12").unwrap();
    assert_eq!(cat(&k, "atomic"), "-12\n");
    let summary = cat(&k, "summary");
    assert_eq!(
        summary,
        "i_private works: v8=31 v16=65535 v32=4000000000 v64=18000000000000000000 h32=0xcafe \
         vbool=0 vatomic=-12 dentry=summary\n"
    );
    // Bad numbers, read-only files.
    let e = write(&k, "u32", "abc").unwrap_err();
    assert!(e.contains("Invalid argument"), "{e}");
    for ro in ["ro32", "size_t", "str", "blob"] {
        let e = write(&k, ro, "1").unwrap_err();
        assert!(e.contains("Permission denied"), "{ro}: {e}");
    }
    assert_eq!(cat(&k, "ro32"), "7\n");

    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "debugfs: 'sub' already exists in 'dbg_values'",
            "dbg_values: duplicate: -17",
            "dbg_values: under an error: -17",
            "dbg_values: lookup sub: sub",
            "dbg_values: lookup nothing: NULL",
            "dbg_values: initialized: 1",
        ],
    );
    k.ok(&["rmmod", "dbg_values"]);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "dbg_values: counter=10 signed=-1 v8=31 vbool=0 vatomic=-12"));
    assert_eq!(k.cat("/sys/kernel/debug"), "");
    let r = k.run(&["cat", DIR]);
    assert_ne!(r.code, Some(0), "{r:?}");
}

#[test]
fn attribute_files_call_get_and_set() {
    need_env!();
    let k = boot_with("dbg_attrs", &["dbg_values"]);
    assert_eq!(cat(&k, "counter"), "10\n");
    // counter_set stores twice the value; above 1000 it refuses with -ERANGE.
    write(&k, "counter", "21").unwrap();
    assert_eq!(cat(&k, "counter"), "42\n");
    let e = write(&k, "counter", "5000").unwrap_err();
    assert!(e.contains("Numerical result out of range"), "{e}");
    let e = write(&k, "counter", "junk").unwrap_err();
    assert!(e.contains("Invalid argument"), "{e}");
    assert_eq!(cat(&k, "counter"), "42\n");
    // The signed variant parses a negative number; the format is the module's.
    write(&k, "signed", "-3").unwrap();
    assert_eq!(cat(&k, "signed"), "-3\n");
    assert_eq!(cat(&k, "hex"), "0x1234\n");
    // simple_attr_read on a file simple_attr_open never set up: -EINVAL, and the kernel goes on.
    let r = k.run(&["cat", &format!("{DIR}/rogue")]);
    assert_ne!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("Invalid argument"), "{r:?}");
    assert_eq!(cat(&k, "counter"), "42\n");
    // No set function: -EACCES.
    let e = write(&k, "hex", "1").unwrap_err();
    assert!(e.contains("Permission denied"), "{e}");
    k.ok(&["rmmod", "dbg_values"]);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "dbg_values: counter=42 signed=-3 v8=200 vbool=1 vatomic=-5"));
}

#[test]
fn entries_left_at_unload_are_removed_and_reported() {
    need_env!();
    let k = boot_with("dbg_leak", &["dbg_leak"]);
    assert_eq!(k.cat("/sys/kernel/debug"), "dbg_leak\ndbg_leak_top\n");
    assert_eq!(k.cat("/sys/kernel/debug/dbg_leak/value"), "1\n");
    // The reports are errors: the console shows them to rmmod's terminal.
    let r = k.run(&["rmmod", "dbg_leak"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stderr
            .contains("/sys/kernel/debug/dbg_leak_top still registered"),
        "{r:?}"
    );
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "lkm: dbg_leak: /sys/kernel/debug/dbg_leak still registered at unload: removed",
            "lkm: dbg_leak: /sys/kernel/debug/dbg_leak_top still registered at unload: removed",
        ],
    );
    assert_eq!(k.cat("/sys/kernel/debug"), "");
    // The names are free again, and the kernel goes on.
    let b = built_ok("debugfs_basic");
    k.load(&b.ko("dbg_leak"));
    k.load(&b.ko("dbg_values"));
    k.ok(&["rmmod", "dbg_values"]);
    assert_eq!(k.run(&["rmmod", "dbg_leak"]).code, Some(0));
    assert!(!k.dmesg().iter().any(|l| l.contains("Oops")));
}
