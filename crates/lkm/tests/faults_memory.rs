//! Issue 6, "What Linux cannot tell you": leaks, memory misuse and code that outlives its module.
//! Each example of `examples/faults/` is loaded into a sandbox kernel; the test checks the report it
//! produces and that the kernel then loads, uses and unloads another module (hello) normally. The
//! stress test makes a module oops 200 times in init, exit, timer, tasklet, work, kthread and read
//! context and checks that the kernel stays responsive and its memory bounded.

mod common;
use common::*;

use std::time::{Duration, Instant};

/// The kernel keeps serving: hello loads, prints, unloads; lsmod answers.
fn hello_still_works(k: &Kernel) {
    let hello = built_ok("hello");
    k.load(&hello.ko("hello"));
    assert!(k.ok(&["lsmod"]).contains("hello"));
    let r = k.run(&["rmmod", "hello"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(!k.ok(&["lsmod"]).contains("hello"));
}

fn faults() -> (&'static Built, ()) {
    (built_ok("faults"), ())
}

fn count(log: &[String], pred: impl Fn(&str) -> bool) -> usize {
    log.iter().filter(|l| pred(l)).count()
}

fn find<'a>(log: &'a [String], prefix: &str) -> &'a String {
    log.iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{}", log.join("\n")))
}

/// Waits until the log has a line equal to `line`; returns the log.
fn wait_for(k: &Kernel, line: &str) -> Vec<String> {
    let start = Instant::now();
    loop {
        let log = k.dmesg();
        if log.iter().any(|l| l == line) {
            return log;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{line:?} never came:\n{}",
            log.join("\n")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn leaks_are_reported_kmemleak_style_and_reclaimed() {
    need_env!();
    let (b, _) = faults();
    let k = Kernel::new("fault_leak").at(&b.dir);
    for round in 1..=2 {
        k.load(&b.ko("fault_leak"));
        let r = k.run(&["rmmod", "fault_leak"]);
        assert_eq!(r.code, Some(0), "{r:?}");
        let log = k.dmesg();
        // The same report each time: the first round's memory was reclaimed.
        assert_eq!(
            count(&log, |l| l == "kmemleak: 6 new suspected memory leaks"),
            round,
            "{}",
            log.join("\n")
        );
        assert_eq!(
            count(&log, |l| l.starts_with("unreferenced object 0x")),
            3 * round
        );
    }
    let log = k.dmesg();
    let at = log
        .iter()
        .position(|l| l == "fault_leak: 6 allocation(s), 10274 bytes still allocated at unload")
        .expect("summary line");
    let report = &log[at + 1..];
    assert_eq!(report[0], "kmemleak: 6 new suspected memory leaks");
    assert!(
        hex_shape(&report[1], "unreferenced object 0x", " (size 18):"),
        "{}",
        report[1]
    );
    assert!(
        report[2].starts_with("  comm \"insmod\", pid ") && report[2].contains(", jiffies "),
        "{}",
        report[2]
    );
    assert_eq!(report[3], "  hex dump (first 18 bytes):");
    assert_eq!(
        report[4],
        "    66 6f 72 67 6f 74 74 65 6e 20 69 6e 20 65 78 69  forgotten in exi"
    );
    assert_eq!(
        report[5],
        "    74 00                                            t."
    );
    assert!(report[6].starts_with("  backtrace (crc "), "{}", report[6]);
    assert!(report[7].ends_with("] kmalloc+0x0/0x10"), "{}", report[7]);
    assert!(
        report[8].starts_with("    [<") && report[8].contains(">] fault_leak_init+0x"),
        "{}",
        report[8]
    );
    assert!(report[8].ends_with(" [fault_leak]"), "{}", report[8]);
    // The four objects of one site are one entry with a count.
    assert!(report[9].ends_with(" (size 64):"), "{}", report[9]);
    assert!(
        report[16].contains(">] fault_leak_fill_table+0x"),
        "{}",
        report[16]
    );
    assert_eq!(
        report[17],
        "  … and 3 more object(s), 192 bytes, from the same site"
    );
    assert!(report[18].ends_with(" (size 10000):"), "{}", report[18]);
    assert!(report[24].ends_with("] vmalloc+0x0/0x10"), "{}", report[24]);
    assert!(
        report[25].contains(">] fault_leak_init+0x"),
        "{}",
        report[25]
    );
    // No taint for a leak (Linux has none either).
    assert_eq!(k.tainted() & (1 << 5 | 1 << 7 | 1 << 9), 0);
    hello_still_works(&k);
}

#[test]
fn double_and_bad_frees_are_reported_with_their_sites() {
    need_env!();
    let (b, _) = faults();
    let k = Kernel::new("fault_free").at(&b.dir);
    k.load(&b.ko("fault_double_free"));
    k.load(&b.ko("fault_bad_free"));
    let log = k.dmesg();
    let at = log
        .iter()
        .position(|l| l.starts_with("BUG: KASAN: double-free in "))
        .expect("double-free report");
    let r = &log[at..at + 10];
    assert!(
        r[0].starts_with("BUG: KASAN: double-free in fault_double_free_init+0x")
            && r[0].ends_with(" [fault_double_free]"),
        "{}",
        r[0]
    );
    assert!(hex_shape(&r[1][..29], "Free of addr ", ""), "{}", r[1]);
    assert!(r[1].contains(" by task insmod/"), "{}", r[1]);
    assert!(r[2].starts_with("Allocated by task insmod/"), "{}", r[2]);
    assert!(r[3].starts_with(" fault_double_free_init+0x"), "{}", r[3]);
    assert!(r[4].starts_with("Freed by task insmod/"), "{}", r[4]);
    assert!(r[5].starts_with(" fault_double_free_init+0x"), "{}", r[5]);
    assert!(r[6].starts_with("The buggy address belongs to the object at "));
    assert_eq!(r[7], " which belongs to the cache kmalloc-32 of size 32");
    assert!(
        r[8].starts_with("The buggy address is located 0 bytes inside of freed 32-byte region [")
    );
    assert_eq!(
        r[9],
        "=================================================================="
    );
    assert_in_order(
        &log,
        &[
            "fault_double_free: freed twice, still running",
            "The buggy address belongs to the variable:",
            " not_from_kmalloc+0x0/0x40 [fault_bad_free]",
            "fault_bad_free: still running",
        ],
    );
    assert_eq!(
        count(&log, |l| l.starts_with(
            "BUG: KASAN: invalid-free in fault_bad_free_init+0x"
        ) && l.ends_with(" [fault_bad_free]")),
        2
    );
    assert!(log.iter().any(|l| l
        .starts_with("The buggy address is located 16 bytes inside of 128-byte kmalloc region [")));
    assert_ne!(k.tainted() & (1 << 5), 0, "taint B");
    // Nothing leaked: the right frees went through.
    k.ok(&["rmmod", "fault_double_free", "fault_bad_free"]);
    assert!(!k
        .dmesg()
        .iter()
        .any(|l| l.contains("still allocated at unload")));
    hello_still_works(&k);
}

#[test]
fn a_write_after_free_is_found_in_the_poison() {
    need_env!();
    let (b, _) = faults();
    let k = Kernel::new("fault_uaf").at(&b.dir);
    k.load(&b.ko("fault_uaf"));
    let r = k.run(&["rmmod", "fault_uaf"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let log = k.dmesg();
    let at = log
        .iter()
        .position(|l| l.starts_with("BUG kmalloc-64 (") && l.ends_with("): Poison overwritten"))
        .unwrap_or_else(|| panic!("no poison report:\n{}", log.join("\n")));
    let r = &log[at - 1..at + 7];
    assert_eq!(r[0], "=".repeat(77));
    assert_eq!(r[2], "-".repeat(77));
    // s->refs-- on the freed `struct session`: offset 4, 0x6b - 1.
    assert!(
        r[3].ends_with(" @offset=4. First byte 0x6a instead of 0x6b"),
        "{}",
        r[3]
    );
    assert!(
        r[4].starts_with("Allocated in fault_uaf_init+0x") && r[4].contains(" [fault_uaf] age=")
    );
    assert!(r[5].starts_with("Freed in fault_uaf_init+0x") && r[5].contains(" [fault_uaf] age="));
    assert!(
        r[6].starts_with("Object   ") && r[6].ends_with("  kkkkjkkkkkkkkkkk"),
        "{}",
        r[6]
    );
    assert!(
        r[7].starts_with("FIX kmalloc-64: Restoring Poison 0x"),
        "{}",
        r[7]
    );
    assert_ne!(k.tainted() & (1 << 5), 0, "taint B");
    hello_still_works(&k);
}

#[test]
fn writes_past_an_object_hit_its_red_zone() {
    need_env!();
    let (b, _) = faults();
    let k = Kernel::new("fault_oob").at(&b.dir);
    k.load(&b.ko("fault_oob"));
    let log = k.dmesg();
    assert_in_order(&log, &["fault_oob: still running"]);
    let inner = log
        .iter()
        .position(|l| l.ends_with("): kmalloc Redzone overwritten"))
        .expect("kmalloc red zone report");
    assert!(log[inner].starts_with("BUG kmalloc-64 ("));
    assert!(log[inner + 2].ends_with(" @offset=40. First byte 0x65 instead of 0xcc"));
    assert!(log[inner + 3].starts_with("Allocated in fault_oob_init+0x"));
    assert!(log[inner + 4].starts_with("Freed in fault_oob_init+0x"));
    assert!(log[inner + 6].starts_with("FIX kmalloc-64: Restoring kmalloc Redzone 0x"));
    let right = log
        .iter()
        .position(|l| l.ends_with("): Right Redzone overwritten"))
        .expect("right red zone report");
    assert!(log[right + 2].ends_with(" @offset=64. First byte 0x21 instead of 0xcc"));
    assert!(
        log[right + 5].starts_with("Redzone  ") && log[right + 5].ends_with("  !...............")
    );
    assert_ne!(k.tainted() & (1 << 5), 0, "taint B");
    k.ok(&["rmmod", "fault_oob"]);
    hello_still_works(&k);
}

#[test]
fn vmalloc_overruns_and_uses_after_vfree_are_explained_in_the_oops() {
    need_env!();
    let (b, _) = faults();
    let k = Kernel::new("fault_vmalloc").at(&b.dir);
    k.boot();
    for m in ["fault_vmalloc_overrun", "fault_vmalloc_uaf"] {
        let r = k.run(&["insmod", &format!("{m}.ko")]);
        assert_eq!(r.code, Some(1), "{r:?}");
        assert!(r
            .stderr
            .ends_with(&insmod_error(&format!("{m}.ko"), "Bad address")));
    }
    let log = k.dmesg();
    let oob = log
        .iter()
        .position(|l| l.starts_with("BUG: KASAN: vmalloc-out-of-bounds in "))
        .expect("overrun report");
    assert!(log[oob].starts_with("BUG: KASAN: vmalloc-out-of-bounds in fault_vmalloc_overrun_fill"));
    assert!(
        log[oob + 1].starts_with("Write at addr ") && log[oob + 1].contains(" by task insmod/")
    );
    assert_eq!(
        log[oob + 2],
        "The buggy address is located 0 bytes to the right of"
    );
    assert!(log[oob + 3].starts_with(" allocated 8192-byte region ["));
    assert_eq!(
        log[oob + 4],
        "The buggy address belongs to the virtual mapping at"
    );
    assert!(log[oob + 6].starts_with(" fault_vmalloc_overrun_init+0x"));
    assert!(log[oob + 8].starts_with("BUG: unable to handle page fault for address: "));
    let uaf = log
        .iter()
        .position(|l| l.starts_with("BUG: KASAN: use-after-free in "))
        .expect("use-after-vfree report");
    assert!(log[uaf].starts_with("BUG: KASAN: use-after-free in fault_vmalloc_uaf_sum"));
    assert!(log[uaf + 1].starts_with("Read at addr "));
    assert!(log[uaf + 2].starts_with("Allocated by task insmod/"));
    assert!(log[uaf + 3].starts_with(" fault_vmalloc_uaf_init+0x"));
    assert!(log[uaf + 4].starts_with("Freed by task insmod/"));
    assert!(log[uaf + 5].starts_with(" fault_vmalloc_uaf_init+0x"));
    assert_eq!(
        log[uaf + 9],
        "The buggy address is located 0 bytes inside of"
    );
    assert!(log[uaf + 10].starts_with(" freed 16384-byte region ["));
    assert!(log[uaf + 12].starts_with("BUG: unable to handle page fault for address: "));
    assert_eq!(count(&log, |l| l.starts_with("Oops: ")), 2);
    // Both stay listed as coming (their init oopsed), as on Linux; the kernel serves on.
    let lsmod = k.ok(&["lsmod"]);
    assert!(lsmod.contains("fault_vmalloc_overrun") && lsmod.contains("fault_vmalloc_uaf"));
    hello_still_works(&k);
}

#[test]
fn timers_and_tasklets_left_at_unload_are_deleted_by_name() {
    need_env!();
    let (b, _) = faults();
    let k = Kernel::new("fault_timer").at(&b.dir);
    k.load(&b.ko("fault_timer"));
    let r = k.run(&["rmmod", "fault_timer"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(untime(&r.stderr).contains(
        "[    t] lkm: fault_timer: timer fault_timer_fn still pending at unload: deleted\n"
    ));
    k.load(&b.ko("fault_tasklet"));
    assert_eq!(k.run(&["rmmod", "fault_tasklet"]).code, Some(0));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "fault_timer: timer armed",
            "lkm: fault_timer: timer fault_timer_fn still pending at unload: deleted",
            "fault_tasklet: tasklet scheduled",
            "lkm: fault_tasklet: tasklet fault_tasklet_fn still scheduled at unload: killed",
        ],
    );
    // Neither ran, and no taint (Linux has none for this).
    hello_still_works(&k);
    assert!(!k
        .dmesg()
        .iter()
        .any(|l| l.contains("of an unloaded module ran")));
    assert_eq!(k.tainted() & (1 << 5 | 1 << 7 | 1 << 9), 0);
}

#[test]
fn work_left_at_unload_is_cancelled_or_waited_for_by_name() {
    need_env!();
    let (b, _) = faults();
    let k = Kernel::new("fault_work").at(&b.dir);
    k.load(&b.ko("fault_work"));
    wait_for(&k, "fault_work: slow item started");
    let r = k.run(&["rmmod", "fault_work"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let log = wait_for(
        &k,
        "lkm: fault_work: last thread left the module's code; its memory is freed",
    );
    assert_in_order(
        &log,
        &[
            "fault_work: slow item started",
            "lkm: fault_work: work item fault_work_slow still running at unload",
            "lkm: fault_work: module memory kept until its threads leave its code",
            "fault_work: slow item done",
            "lkm: fault_work: last thread left the module's code; its memory is freed",
        ],
    );
    for line in [
        "lkm: fault_work: work item fault_work_next still queued at unload: cancelled",
        "lkm: fault_work: delayed work item fault_work_late still pending at unload: cancelled",
    ] {
        assert_in_order(
            &log,
            &[
                "fault_work: slow item started",
                line,
                "fault_work: slow item done",
            ],
        );
    }
    hello_still_works(&k);
    assert!(!k
        .dmesg()
        .iter()
        .any(|l| l.contains("of an unloaded module ran")));
}

#[test]
fn kthreads_left_at_unload_are_reported_by_name() {
    need_env!();
    let (b, _) = faults();
    let k = Kernel::new("fault_kthread").at(&b.dir);
    k.load(&b.ko("fault_kthread"));
    wait_for(&k, "fault_kthread: thread started");
    let r = k.run(&["rmmod", "fault_kthread"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let log = wait_for(
        &k,
        "lkm: fault_kthread: last thread left the module's code; its memory is freed",
    );
    let idle = find(&log, "lkm: fault_kthread: kthread \"fault-idle\" (pid ");
    assert!(
        idle.ends_with(", fault_kthread_idle) never woken at unload: stopped"),
        "{idle}"
    );
    let running = find(&log, "lkm: fault_kthread: kthread \"fault-kt\" (pid ");
    assert!(
        running.ends_with(", fault_kthread_fn) still running at unload"),
        "{running}"
    );
    let pid = running
        .trim_start_matches("lkm: fault_kthread: kthread \"fault-kt\" (pid ")
        .split(',')
        .next()
        .unwrap();
    let exited = format!(
        "lkm: fault_kthread: kthread \"fault-kt\" (pid {pid}) exited (0) after its module was unloaded"
    );
    assert_in_order(
        &log,
        &[
            running,
            "lkm: fault_kthread: module memory kept until its threads leave its code",
            "fault_kthread: thread done",
            &exited,
            "lkm: fault_kthread: last thread left the module's code; its memory is freed",
        ],
    );
    assert!(!log.iter().any(|l| l.contains("of an unloaded module ran")));
    hello_still_works(&k);
}

// ---------------------------------------------------------------------------------------------
// Stress: 200 oopses in every context.

const STRESS_LOADS: usize = 200;
const KERNELS: usize = 2;
/// How much a kernel's VmRSS may grow between its warm-up and its end.
const RSS_SLACK_KIB: u64 = 6144;

fn vm_rss_kib(k: &Kernel) -> u64 {
    let pid = std::fs::read_to_string(k.state.join("kernel.pid")).unwrap();
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Waits until the log holds the `n`th oops of this kernel (`Oops: … [#n] …`; the ring buffer
/// wraps in a long run, so the newest header is what counts).
fn wait_oops(k: &Kernel, n: usize) {
    let start = Instant::now();
    let tag = format!(" [#{n}] ");
    loop {
        let log = k.dmesg();
        if log
            .iter()
            .any(|l| l.starts_with("Oops: ") && l.contains(&tag))
        {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "oops #{n} never came:\n{}",
            log[log.len().saturating_sub(80)..].join("\n")
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn two_hundred_oopses_in_every_context() {
    need_env!();
    let b = built_ok("fault_stress");
    let per_kernel = STRESS_LOADS / KERNELS;
    // A simple generator, seeded from the clock and printed, for the random contexts.
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("stress: seed {seed}");
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let started = Instant::now();
    let mut loads = 0;
    for kn in 0..KERNELS {
        let k = Kernel::new(&format!("fault_stress{kn}")).at(&b.dir);
        k.boot();
        let mut oopses = 0;
        let mut rss_warm = 0;
        for i in 0..per_kernel {
            // The last two loads of each kernel fault in exit and in init, which pins the module
            // (as Linux does): under two names, so that both fit in one kernel.
            let (file, name, ctx) = match per_kernel - i {
                2 => ("fault_where.ko", "fault_where", "exit"),
                1 => ("fault_where2.ko", "fault_where2", "init"),
                _ => {
                    let c = ["timer", "tasklet", "work", "kthread", "read"][(next() % 5) as usize];
                    ("fault_where.ko", "fault_where", c)
                }
            };
            let r = k.run(&["insmod", file, &format!("where={ctx}")]);
            loads += 1;
            if ctx == "init" {
                assert_eq!(r.code, Some(1), "{ctx}: {r:?}");
                assert!(
                    r.stderr.ends_with(&insmod_error(file, "Bad address")),
                    "{r:?}"
                );
            } else {
                assert_eq!(r.code, Some(0), "{ctx}: {r:?}");
            }
            if ctx == "read" {
                // The reading process's system call fails; its file is released.
                let r = k.run(&["cat", "/dev/fault_where"]);
                assert_eq!(r.code, Some(1), "{r:?}");
                assert!(r.stderr.contains("Bad address"), "{r:?}");
            }
            if ctx != "exit" {
                oopses += 1;
                wait_oops(&k, oopses);
            }
            if ctx != "init" {
                let r = k.run(&["rmmod", name]);
                if ctx == "exit" {
                    oopses += 1;
                    assert_eq!(r.code, Some(1), "{r:?}");
                    wait_oops(&k, oopses);
                } else {
                    assert_eq!(r.code, Some(0), "{ctx}: {r:?}");
                }
            }
            let lsmod = k.ok(&["lsmod"]);
            assert!(lsmod.starts_with(LSMOD_HEADER), "{lsmod}");
            if i == 9 {
                rss_warm = vm_rss_kib(&k);
            }
        }
        let rss_end = vm_rss_kib(&k);
        eprintln!(
            "stress: kernel {kn}: {per_kernel} loads, {oopses} oopses, VmRSS {rss_warm} KiB after 10, {rss_end} KiB at the end"
        );
        assert!(
            rss_end <= rss_warm + RSS_SLACK_KIB,
            "kernel {kn}: VmRSS grew from {rss_warm} to {rss_end} KiB"
        );
        // Every unload reclaimed the module's leak: nothing of fault_where is left but the two
        // pinned instances' allocations.
        let leak = "fault_where: 1 allocation(s), 200 bytes still allocated at unload";
        assert!(k.dmesg().iter().any(|l| l == leak));
        let lsmod = k.ok(&["lsmod"]);
        assert!(
            lsmod.contains("fault_where ") && lsmod.contains("fault_where2 "),
            "{lsmod}"
        );
        hello_still_works(&k);
    }
    eprintln!(
        "stress: {loads} loads with an oops each in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(loads, STRESS_LOADS);
}

#[test]
fn the_oops_example_oopses_in_a_read_and_in_a_timer() {
    need_env!();
    let (b, _) = faults();
    let k = Kernel::new("fault_oops").at(&b.dir);
    k.boot();
    k.load(&b.ko("fault_oops"));
    // The reading process's system call fails; the report names it and the module's frames.
    let r = k.run(&["cat", "/dev/fault_oops"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr.ends_with("/dev/fault_oops: Bad address\n"),
        "{r:?}"
    );
    let log = wait_for(&k, "---[ end trace 0000000000000000 ]---");
    let at = log
        .iter()
        .position(|l| l == "fault_oops: writing through a NULL pointer in read context")
        .expect("the read ran");
    assert_eq!(
        log[at + 1],
        "BUG: kernel NULL pointer dereference, address: 0000000000000000"
    );
    assert_eq!(log[at + 4], "Oops: 0002 [#1] PREEMPT SMP NOPTI");
    assert!(
        log[at + 7].starts_with("RIP: 0010:fault_oops_hit+0x"),
        "{}",
        log[at + 7]
    );
    assert!(log[at + 7].ends_with(" [fault_oops]"));
    let trace = log[at..].iter().position(|l| l == "Call Trace:").unwrap() + at;
    assert!(
        log[trace..trace + 6]
            .iter()
            .any(|l| l.starts_with(" ? fault_oops_read+0x")),
        "{:?}",
        &log[trace..]
    );
    assert!(k.tainted() & (1 << 7) != 0, "taint D");
    // The file was released: the module can go, and come back to oops in a timer.
    k.ok(&["rmmod", "fault_oops"]);
    k.ok(&[
        "insmod",
        &b.ko("fault_oops").display().to_string(),
        "where=timer",
    ]);
    wait_for(
        &k,
        "fault_oops: writing through a NULL pointer in timer context",
    );
    let log = {
        let start = Instant::now();
        loop {
            let log = k.dmesg();
            if log.iter().any(|l| l.starts_with("Oops: 0002 [#2] ")) {
                break log;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "{log:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let at = log
        .iter()
        .position(|l| l.starts_with("Oops: 0002 [#2] "))
        .unwrap();
    assert!(
        log[at + 1].contains(" Comm: ksoftirqd/0 "),
        "{}",
        log[at + 1]
    );
    k.ok(&["rmmod", "fault_oops"]);
    hello_still_works(&k);
}
