//! Integration tests of the memory services (issue 5, "Memory"): real modules built against the SDK
//! call kmalloc, slab caches, vmalloc, pages and random numbers in a sandbox kernel and print what
//! they saw; the tests read those lines, the kernel's reports and the accounting.

mod common;
use common::*;

fn lines_with<'a>(log: &'a [String], prefix: &str) -> Vec<&'a String> {
    log.iter().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn every_allocator_works_and_is_accounted() {
    need_env!();
    let b = built_ok("mem_alloc");
    let k = Kernel::new("mem_alloc").at(&b.dir);
    k.boot();
    k.load(&b.ko("mem_basic"));
    let log = k.dmesg();
    let failed: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("mem_basic: ") && l.ends_with(" FAILED"))
        .collect();
    assert!(failed.is_empty(), "{}", log.join("\n"));
    assert_in_order(
        &log,
        &[
            "mem_basic: kmalloc 1 ksize 8 align ok",
            "mem_basic: kmalloc 9 ksize 16 align ok",
            "mem_basic: kmalloc 64 ksize 64 align ok",
            "mem_basic: kmalloc 65 ksize 96 align ok",
            "mem_basic: kmalloc 100 ksize 128 align ok",
            "mem_basic: kmalloc 200 ksize 256 align ok",
            "mem_basic: kmalloc 4096 ksize 4096 align ok",
            "mem_basic: kmalloc 5000 ksize 8192 align ok",
            "mem_basic: kmalloc 9000 ksize 12288 align ok",
            "mem_basic: kmalloc(0) is ZERO_SIZE_PTR ok",
            "mem_basic: kzalloc zeroed ok",
            "mem_basic: kcalloc zeroed ok",
            "mem_basic: kcalloc overflow fails ok",
            "mem_basic: krealloc in place ok",
            "mem_basic: krealloc grows ok",
            "mem_basic: krealloc keeps contents ok",
            "mem_basic: kstrdup ok",
            "mem_basic: kstrndup ok",
            "mem_basic: kmemdup ok",
            "mem_basic: vmalloc 1 MiB writable ok",
            "mem_basic: vzalloc zeroed ok",
            "mem_basic: kvmalloc small is kmalloc ok",
            "mem_basic: kvzalloc large is vmalloc, zeroed ok",
            "mem_basic: GFP_ATOMIC and GFP_NOWAIT ok",
            "mem_basic: kmem_cache thing size 32",
            "mem_basic: kmem_cache_alloc aligned 32, constructed ok",
            "mem_basic: kmem_cache_zalloc cache-line aligned, zeroed ok",
            "kmem_cache_create(empty) failed with error -22",
            "mem_basic: kmem_cache_create(size 0) fails ok",
            "mem_basic: __get_free_pages order 2 page-aligned ok",
            "mem_basic: get_zeroed_page ok",
            "mem_basic: random ok",
            // 300 (kmalloc) + 100000 (vmalloc) + 32 (a cache object).
            "mem_basic: holds 3 allocation(s), 100332 bytes",
            "mem_basic: 0 failure(s)",
        ],
    );
    // kasprintf formats with the kernel's rules (%pS included).
    let kas = lines_with(&log, "mem_basic: kasprintf ");
    assert_eq!(kas.len(), 1, "{log:?}");
    assert!(
        kas[0].starts_with("mem_basic: kasprintf \"fmt-42-0beef-mem_basic_init+0x0/0x")
            && kas[0].contains(" [mem_basic]\" len "),
        "{}",
        kas[0]
    );
    // No allocator complained about a correct module.
    assert!(
        !log.iter()
            .any(|l| l.contains("KASAN") || l.contains("sleeping function")),
        "{}",
        log.join("\n")
    );

    // The accounting seen from another module while mem_basic is loaded.
    let probe = b.ko("mem_probe").display().to_string();
    let r = k.run(&["insmod", &probe, "target=mem_basic"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "mem_probe: mem_basic holds 3 allocation(s), 100332 bytes"));
    k.ok(&["rmmod", "mem_probe"]);

    // exit frees everything: no unload report, nothing left.
    let r = k.run(&["rmmod", "mem_basic"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let log = k.dmesg();
    assert!(log
        .iter()
        .any(|l| l == "mem_basic: exit holds 0 allocation(s), 0 bytes"));
    assert!(
        !log.iter().any(|l| l.contains("still allocated at unload")),
        "{}",
        log.join("\n")
    );
    let r = k.run(&["insmod", &probe, "target="]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        k.dmesg()
            .iter()
            .any(|l| l == "mem_probe:  holds 0 allocation(s), 0 bytes"),
        "{}",
        k.dmesg().join("\n")
    );
    assert_eq!(k.tainted() & (1 << 5 | 1 << 9), 0, "no taint B or W");
}

#[test]
fn a_leaking_module_is_reported_and_reclaimed_at_unload() {
    need_env!();
    let b = built_ok("mem_alloc");
    let k = Kernel::new("mem_leak").at(&b.dir);
    k.boot();
    let probe = b.ko("mem_probe").display().to_string();
    for round in 0..2 {
        k.load(&b.ko("mem_leak"));
        // 100 + 4000 + 10000 bytes, whatever earlier rounds leaked is gone.
        let r = k.run(&["insmod", &probe, "target=mem_leak"]);
        assert_eq!(r.code, Some(0), "{r:?}");
        let want = "mem_probe: mem_leak holds 3 allocation(s), 14100 bytes";
        assert_eq!(
            k.dmesg().iter().filter(|l| *l == want).count(),
            round + 1,
            "{}",
            k.dmesg().join("\n")
        );
        k.ok(&["rmmod", "mem_probe"]);
        let r = k.run(&["rmmod", "mem_leak"]);
        assert_eq!(r.code, Some(0), "{r:?}");
        let unload = "mem_leak: 3 allocation(s), 14100 bytes still allocated at unload";
        assert_eq!(
            k.dmesg().iter().filter(|l| *l == unload).count(),
            round + 1,
            "{}",
            k.dmesg().join("\n")
        );
    }
    // Everything was reclaimed.
    let r = k.run(&["insmod", &probe, "target="]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "mem_probe:  holds 0 allocation(s), 0 bytes"));
    let r = k.run(&["insmod", &probe, "target=mem_leak"]);
    assert_eq!(r.code, Some(1), "{r:?}");
}

#[test]
fn misuse_is_reported_not_a_crash() {
    need_env!();
    let b = built_ok("mem_misuse");
    let hello = built_ok("hello");
    let k = Kernel::new("mem_misuse").at(&b.dir);
    k.boot();
    let r = k.run(&["insmod", "mem_bad.ko"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "==================================================================",
            "Disabling lock debugging due to kernel taint",
            "mem_bad: after bad kfree",
            "mem_bad: after double kfree",
            "mem_bad: after interior kfree",
            "mem_bad: after wrong vfree",
            "BUG: sleeping function called from invalid context at include/linux/sched/mm.h:321",
            "preempt_count: 1, expected: 0",
            "mem_bad: after sleeping allocation in atomic context",
        ],
    );
    let kasan = |what: &str| {
        log.iter()
            .filter(|l| {
                l.starts_with(&format!("BUG: KASAN: {what} in ")) && l.ends_with(" [mem_bad]")
            })
            .count()
    };
    assert_eq!(kasan("invalid-free"), 2, "{}", log.join("\n"));
    assert_eq!(kasan("double-free"), 1, "{}", log.join("\n"));
    assert!(log
        .iter()
        .any(|l| l.starts_with("Free of addr ") && l.contains(" by task ")));
    assert!(log.iter().any(|l| l
        .starts_with("The buggy address is located 8 bytes inside of 64-byte kmalloc region [")));
    assert!(
        log.iter().any(|l| l.starts_with("Freed by task ")),
        "{}",
        log.join("\n")
    );
    assert!(log
        .iter()
        .any(|l| hex_shape(l, "Trying to vfree() nonexistent vm area (", ")")));
    assert!(log
        .iter()
        .any(|l| l.starts_with("WARNING: CPU: 0 PID: ") && l.ends_with(" at mm/vmalloc.c:3335")));
    // Only the sleeping allocation is reported, not the GFP_ATOMIC one beside it.
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("BUG: sleeping function called"))
            .count(),
        1
    );
    assert!(log.iter().any(|l| l
        .starts_with("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ")
        && l.ends_with(", name: insmod")));
    let t = k.tainted();
    assert_ne!(t & (1 << 5), 0, "taint B");
    assert_ne!(t & (1 << 9), 0, "taint W");
    // The double free's first kfree and the reports' fixes left nothing allocated.
    k.ok(&["rmmod", "mem_bad"]);
    assert!(!k
        .dmesg()
        .iter()
        .any(|l| l.contains("still allocated at unload")));

    // A one-byte overrun of a 1 MiB vmalloc area hits the guard page: an oops in the module.
    let r = k.run(&["insmod", "mem_vmoops.ko"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r
        .stderr
        .ends_with(&insmod_error("mem_vmoops.ko", "Bad address")));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "mem_vmoops: wrote 1048576 bytes, now one more",
            "#PF: supervisor write access in kernel mode",
            "#PF: error_code(0x0002) - not-present page",
            "Oops: 0002 [#1] PREEMPT SMP NOPTI",
        ],
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("RIP: 0010:mem_vmoops_overrun") && l.ends_with(" [mem_vmoops]")),
        "{}",
        log.join("\n")
    );
    // The kernel keeps serving.
    k.load(&hello.ko("hello"));
    assert_eq!(k.run(&["rmmod", "hello"]).code, Some(0));
}
