//! Integration tests of procfs, seq_file and sysfs (issue 4): modules built against the SDK create
//! /proc entries and kobjects in a sandbox kernel; `lkm cat` and `lkm write` reach their proc_ops,
//! seq_operations and kobj_attribute show/store in the client's context.

mod common;
use common::*;

fn boot_with(name: &str, modules: &[&str]) -> (Kernel, &'static Built) {
    let b = built_ok("proc_basic");
    let k = Kernel::new(name).at(&b.dir);
    k.boot();
    for m in modules {
        k.load(&b.ko(m));
    }
    (k, b)
}

#[test]
fn single_open_reads_and_proc_write_reaches_the_module() {
    need_env!();
    let (k, _) = boot_with("proc_single", &["proc_seq"]);
    assert_eq!(
        k.cat("/proc/proc_seq"),
        "value=42\nlabel=initial\nopens=1\n"
    );
    k.ok(&["write", "/proc/proc_seq", "123"]);
    k.ok(&["write", "/proc/proc_seq", "hello"]);
    // Each write is an open of its own (opens 2 and 3); this read is the fourth.
    assert_eq!(k.cat("/proc/proc_seq"), "value=123\nlabel=hello\nopens=4\n");
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "proc_seq: duplicate refused",
            "proc_seq: loaded",
            "proc_seq: write of 4 bytes",
            "proc_seq: write of 6 bytes",
        ],
    );
    // A read-only entry refuses writes; an unknown one does not exist.
    let r = k.run(&["write", "/proc/proc_seq_dir/records", "1"]);
    assert_ne!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("Permission denied"), "{r:?}");
}

#[test]
fn seq_operations_iterate_over_many_pages() {
    need_env!();
    let (k, _) = boot_with("proc_records", &["proc_seq"]);
    let text = k.cat("/proc/proc_seq_dir/records");
    assert!(text.len() > 7 * 4096, "{}", text.len());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1000);
    for (i, l) in lines.iter().enumerate() {
        if i == 500 {
            // One record longer than a page: the buffer grew and the record was shown again.
            assert_eq!(*l, format!("record 0500: {}", "x".repeat(6000)));
        } else {
            assert_eq!(*l, format!("record {i:04}: rec {}", i * i), "line {i}");
        }
    }
    assert!(text.ends_with('\n'));
    // Reading twice gives the same text (the iterator restarts at offset 0).
    assert_eq!(k.cat("/proc/proc_seq_dir/records"), text);
}

#[test]
fn directories_pde_data_and_proc_remove() {
    need_env!();
    let (k, _) = boot_with("proc_dirs", &["proc_seq"]);
    let root = k.cat("/proc");
    assert!(root.lines().any(|l| l == "proc_seq"), "{root}");
    assert!(root.lines().any(|l| l == "proc_seq_dir"), "{root}");
    assert!(root.lines().any(|l| l == "modules"), "{root}");
    assert_eq!(k.cat("/proc/proc_seq_dir"), "data\nquick\nrecords\nsub\n");
    assert_eq!(k.cat("/proc/proc_seq_dir/sub"), "");
    assert_eq!(
        k.cat("/proc/proc_seq_dir/data"),
        "pde_data says data-from-pde\n"
    );
    let quick = k.cat("/proc/proc_seq_dir/quick");
    assert!(quick.starts_with("quick (null) releases="), "{quick}");
    // Removed with proc_remove right after its creation.
    let r = k.run(&["cat", "/proc/proc_seq_dir/gone"]);
    assert!(r.stderr.contains("No such file or directory"), "{r:?}");
    // The module's exit removes everything; nothing is reported.
    k.ok(&["rmmod", "proc_seq"]);
    let root = k.cat("/proc");
    assert!(!root.contains("proc_seq"), "{root}");
    assert!(
        !k.dmesg().iter().any(|l| l.contains("still registered")),
        "{:?}",
        k.dmesg()
    );
}

#[test]
fn sysfs_attributes_show_store_and_permissions() {
    need_env!();
    let (k, _) = boot_with("sysfs_attrs", &["proc_sysfs"]);
    let sys = k.cat("/sys");
    for d in ["kernel", "module", "fs"] {
        assert!(sys.lines().any(|l| l == d), "{sys}");
    }
    let kernel = k.cat("/sys/kernel");
    assert!(kernel.lines().any(|l| l == "proc_sysfs"), "{kernel}");
    assert!(kernel.lines().any(|l| l == "mm"), "{kernel}");
    assert_eq!(k.cat("/sys/kernel/proc_sysfs"), "grp\ninfo\npoke\nvalue\n");
    // is_visible hid the group's second attribute.
    assert_eq!(k.cat("/sys/kernel/proc_sysfs/grp"), "inner\n");
    assert_eq!(k.cat("/sys/kernel/proc_sysfs/value"), "7\n");
    assert_eq!(
        k.cat("/sys/kernel/proc_sysfs/info"),
        "kobject proc_sysfs\nattr info\npokes 0\n"
    );
    k.ok(&["write", "/sys/kernel/proc_sysfs/value", "99"]);
    assert_eq!(k.cat("/sys/kernel/proc_sysfs/value"), "99\n");
    // store's error reaches the writer.
    let r = k.run(&["write", "/sys/kernel/proc_sysfs/value", "abc"]);
    assert!(r.stderr.contains("Invalid argument"), "{r:?}");
    // Write-only and read-only attributes.
    k.ok(&["write", "/sys/kernel/proc_sysfs/poke", "hi"]);
    let r = k.run(&["cat", "/sys/kernel/proc_sysfs/poke"]);
    assert!(r.stderr.contains("Permission denied"), "{r:?}");
    let r = k.run(&["write", "/sys/kernel/proc_sysfs/info", "1"]);
    assert!(r.stderr.contains("Permission denied"), "{r:?}");
    assert_eq!(k.cat("/sys/kernel/proc_sysfs/grp/inner"), "inner note=hi\n");
    assert!(k.cat("/sys/kernel/proc_sysfs/info").ends_with("pokes 1\n"));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "sysfs: cannot create duplicate filename '/sys/kernel/proc_sysfs/value'",
            "proc_sysfs: duplicate file -17",
            "proc_sysfs: tmp still there after get+put",
        ],
    );
}

#[test]
fn kobject_put_removes_the_directory() {
    need_env!();
    let (k, _) = boot_with("sysfs_put", &["proc_sysfs"]);
    assert_eq!(k.cat("/sys/kernel/proc_sysfs_tmp"), "t\n");
    k.ok(&["write", "/sys/module/proc_sysfs/parameters/drop", "1"]);
    let r = k.run(&["cat", "/sys/kernel/proc_sysfs_tmp"]);
    assert!(r.stderr.contains("No such file or directory"), "{r:?}");
    k.ok(&["rmmod", "proc_sysfs"]);
    let kernel = k.cat("/sys/kernel");
    assert!(!kernel.contains("proc_sysfs"), "{kernel}");
    assert!(!k.dmesg().iter().any(|l| l.contains("still registered")));
}

#[test]
fn entries_left_at_unload_are_reported_and_removed() {
    need_env!();
    let (k, _) = boot_with("proc_leak", &["proc_leak"]);
    assert_eq!(k.cat("/proc/proc_leak/file"), "leaky\n");
    assert_eq!(k.cat("/sys/kernel/stray"), "stray\n");
    // The reports are errors: the console shows them to rmmod's terminal.
    let r = k.run(&["rmmod", "proc_leak"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stderr.contains("/proc/proc_leak still registered"),
        "{r:?}"
    );
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "lkm: proc_leak: /proc/proc_leak still registered at unload: removed",
            "lkm: proc_leak: /sys/kernel/proc_leak still registered at unload: removed",
            "lkm: proc_leak: /sys/kernel/stray still registered at unload: removed",
        ],
    );
    for p in [
        "/proc/proc_leak",
        "/sys/kernel/proc_leak",
        "/sys/kernel/stray",
    ] {
        let r = k.run(&["cat", p]);
        assert!(r.stderr.contains("No such file or directory"), "{p}: {r:?}");
    }
    // Loading it again works: the names are free.
    k.load(&k.cwd.join("proc_leak.ko"));
    assert_eq!(k.cat("/proc/proc_leak/file"), "leaky\n");
}

#[test]
fn a_faulting_show_oopses_and_the_sandbox_keeps_serving() {
    need_env!();
    let (k, _) = boot_with("proc_fault", &["proc_fault", "proc_seq"]);
    for p in ["/proc/proc_fault", "/sys/kernel/proc_fault/boom"] {
        let r = k.run(&["cat", p]);
        assert_ne!(r.code, Some(0), "{r:?}");
        assert!(r.stderr.contains("Bad address"), "{r:?}");
        assert!(
            r.stderr
                .contains("BUG: kernel NULL pointer dereference, address: 0000000000000000"),
            "{r:?}"
        );
    }
    let log = k.dmesg();
    let oopses: Vec<&String> = log.iter().filter(|l| l.starts_with("Oops: ")).collect();
    assert_eq!(oopses.len(), 2, "{}", log.join("\n"));
    assert!(
        log.iter().any(|l| l.contains("boom_show+")),
        "{}",
        log.join("\n")
    );
    assert!(
        log.iter().any(|l| l.contains("boom_attr_show+")),
        "{}",
        log.join("\n")
    );
    // Still serving: the module's other attribute, another module's file, the module list.
    assert_eq!(k.cat("/sys/kernel/proc_fault/fine"), "fine\n");
    assert!(k.cat("/proc/proc_seq").starts_with("value=42\n"));
    assert!(k.tainted() & (1 << 7) != 0);
    k.ok(&["rmmod", "proc_fault"]);
}
