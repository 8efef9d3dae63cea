//! Library services (issue 5's loose ends), through real modules in a sandbox kernel
//! (`tests/modules/lib_basic`): `sscanf`/`vsscanf`, kfifo, hlist, `WARN` reports with the
//! function and call trace, `might_sleep()`, bad pointers handed to the kernel, and the context an
//! oops under a spinlock leaves behind.

mod common;
use common::*;

use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;

use lkm_sandbox::protocol::{Reply, Request};

/// The module's own lines (not the loader's taint notes about it).
fn lines_from<'a>(log: &'a [String], prefix: &str) -> Vec<&'a str> {
    log.iter()
        .filter(|l| {
            l.starts_with(prefix)
                && !l.ends_with("taints kernel.")
                && !l.ends_with("tainting kernel")
        })
        .map(String::as_str)
        .collect()
}

#[test]
fn sscanf_has_the_kernels_semantics() {
    need_env!();
    let b = built_ok("lib_basic");
    let k = Kernel::new("lib-scanf").at(&b.dir);
    k.load(&b.ko("lib_scanf"));
    let log = k.dmesg();
    assert_eq!(
        lines_from(&log, "lib_scanf: "),
        [
            "lib_scanf: ints n=3 12 -34 31",
            "lib_scanf: bases n=3 ff 17 4294967295",
            "lib_scanf: sizes n=6 -9000000000 18446744073709551615 77 -2 300 127",
            "lib_scanf: widths n=3 12 345 6",
            "lib_scanf: strings n=2 'hello' 'world' consumed 13",
            "lib_scanf: chars n=1 'xyz'",
            "lib_scanf: sets n=3 00 0a 95",
            "lib_scanf: suppressed n=1 42",
            "lib_scanf: mismatch n=1 5",
            "lib_scanf: no digits n=0",
            "lib_scanf: vsscanf n=2 7 8",
        ]
    );
}

#[test]
fn bad_pointers_handed_to_the_kernel_oops_in_the_kernel_function() {
    need_env!();
    let b = built_ok("lib_basic");
    let k = Kernel::new("lib-bad").at(&b.dir);
    k.boot();
    // sscanf storing through 0x10.
    let r = k.run(&["insmod", "lib_scanf_bad.ko"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r
        .stderr
        .ends_with(&insmod_error("lib_scanf_bad.ko", "Bad address")));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "BUG: kernel NULL pointer dereference, address: 0000000000000010",
            "#PF: supervisor write access in kernel mode",
            "#PF: error_code(0x0002) - not-present page",
            "Oops: 0002 [#1] PREEMPT SMP NOPTI",
            "RIP: 0010:vsscanf+0x0/0x10",
            "Call Trace:",
        ],
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with(" ? lib_scanf_bad_init+0x") && l.ends_with(" [lib_scanf_bad]")),
        "{}",
        log.join("\n")
    );
    assert!(!log.iter().any(|l| l.contains("not reached")));
    let n = log.len();
    // kfifo_out into read-only memory: a protection violation on write.
    let r = k.run(&["insmod", "lib_kfifo_bad.ko"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    let log = k.dmesg();
    let new = &log[n..];
    assert_in_order(
        new,
        &[
            "lib_kfifo_bad: in 4",
            "#PF: supervisor write access in kernel mode",
            "#PF: error_code(0x0003) - permissions violation",
            "Oops: 0003 [#2] PREEMPT SMP NOPTI",
            "RIP: 0010:__kfifo_out+0x0/0x10",
        ],
    );
    assert!(
        new.iter()
            .any(|l| l.starts_with(" ? lib_kfifo_bad_init+0x") && l.ends_with(" [lib_kfifo_bad]")),
        "{}",
        new.join("\n")
    );
    // The kernel keeps serving.
    k.load(&b.ko("lib_hlist"));
}

#[test]
fn kfifo_rings_wrap_round_and_are_accounted() {
    need_env!();
    let b = built_ok("lib_basic");
    let k = Kernel::new("lib-kfifo").at(&b.dir);
    k.load(&b.ko("lib_kfifo"));
    let log = k.dmesg();
    assert_eq!(
        lines_from(&log, "lib_kfifo: "),
        [
            "lib_kfifo: ints size 8 esize 4 empty 1 avail 8",
            "lib_kfifo: in 8 len 8 full 1",
            "lib_kfifo: out 5: 0 10 20 30 40 len 3",
            "lib_kfifo: in again 5 len 8",
            "lib_kfifo: peek 8: 50 60 70 100 101 102 103 104 len 8",
            "lib_kfifo: reset empty 1",
            "lib_kfifo: put 4 full 1",
            "lib_kfifo: peek 1 'a' len 4",
            "lib_kfifo: get 1 'a' len 3",
            // kfifo_alloc rounds 10 up to 16, 3 up to 4; kfifo_init rounds 100 bytes down to 64.
            "lib_kfifo: alloc 0 size 16",
            "lib_kfifo: bytes 15 '0123456789abcde'",
            "lib_kfifo: words size 4 esize 2 got 1 beef",
            "lib_kfifo: init 0 size 64",
            "lib_kfifo: alloc(1) -22",
            // The two buffers (16 + 4*2 bytes) are the module's, until kfifo_free.
            "lib_kfifo: holds 2 allocation(s), 24 bytes",
            "lib_kfifo: after free 0 allocation(s), 0 bytes, size 1",
        ]
    );
}

#[test]
fn hlist_chains() {
    need_env!();
    let b = built_ok("lib_basic");
    let k = Kernel::new("lib-hlist").at(&b.dir);
    k.load(&b.ko("lib_hlist"));
    let log = k.dmesg();
    assert_eq!(
        lines_from(&log, "lib_hlist: "),
        [
            "lib_hlist: empty 1",
            "lib_hlist: unhashed 0 1",
            "lib_hlist: bucket 0 has 4",
            "lib_hlist: bucket 0 has 0",
            "lib_hlist: after del bucket 0 has 0",
            "lib_hlist: count 5 sum 11 empty 1 1 unhashed 1",
        ]
    );
}

#[test]
fn warn_reports_the_function_registers_and_call_trace() {
    need_env!();
    let b = built_ok("lib_basic");
    let k = Kernel::new("lib-warn").at(&b.dir);
    k.load(&b.ko("lib_warn"));
    let log = k.dmesg();
    let dir = b.path();
    let at = |prefix: &str| {
        log.iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix:?} missing:\n{}", log.join("\n")))
    };
    // WARN_ON(1) in init.
    let first = &log[at("------------[ cut here ]------------")..];
    assert!(
        first[1].starts_with("WARNING: CPU: 0 PID: ")
            && first[1].contains(&format!(" at {dir}/lib_warn.c:13 lib_warn_init+0x"))
            && first[1].ends_with(" [lib_warn]"),
        "{}",
        first[1]
    );
    assert!(first[2].starts_with("Modules linked in: lib_warn(OE+)"));
    assert!(first[3].starts_with("CPU: 0 UID: 0 PID: ") && first[3].contains(" Comm: insmod "));
    assert_eq!(first[4], "Hardware name: lkm sandbox");
    assert!(
        first[5].starts_with("RIP: 0010:lib_warn_init+0x") && first[5].ends_with(" [lib_warn]"),
        "{}",
        first[5]
    );
    assert!(hex_shape(&first[6], "RSP: 0018:", ""), "{}", first[6]);
    assert_eq!(first[7], "Call Trace:");
    assert_eq!(first[8], " <TASK>");
    let end = first.iter().position(|l| l == " </TASK>").unwrap();
    assert!(
        first[9..end]
            .iter()
            .any(|l| l.starts_with(" ? lib_warn_init+0x") && l.ends_with(" [lib_warn]")),
        "{}",
        first.join("\n")
    );
    assert_eq!(first[end + 1], "---[ end trace 0000000000000000 ]---");
    assert_eq!(first[end + 2], "lib_warn: WARN_ON returned 1");
    // WARN(cond, fmt, ...) in a called function: the message after the cut-here line, the
    // function in the WARNING and RIP lines, its caller in the trace.
    let rest = &first[end + 3..];
    assert_eq!(rest[0], "------------[ cut here ]------------");
    assert_eq!(rest[1], "lib_warn: value 7 too big");
    assert!(
        rest[2].contains(&format!(" at {dir}/lib_warn.c:8 lib_warn_check")),
        "{}",
        rest[2]
    );
    let end = rest.iter().position(|l| l == " </TASK>").unwrap();
    assert!(
        rest[..end]
            .iter()
            .any(|l| l.starts_with(" ? lib_warn_init+0x")),
        "{}",
        rest.join("\n")
    );
    assert_in_order(
        rest,
        &[
            "---[ end trace 0000000000000000 ]---",
            "lib_warn: WARN returned 1",
            "lib_warn: WARN_ON(0) returned 0",
        ],
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("WARNING: CPU: "))
            .count(),
        2
    );
    assert_ne!(k.tainted() & (1 << 9), 0, "taint W");
}

#[test]
fn might_sleep_reports_only_in_atomic_context() {
    need_env!();
    let b = built_ok("lib_basic");
    let k = Kernel::new("lib-might").at(&b.dir);
    k.load(&b.ko("lib_might"));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "lib_might: process context ok",
            &format!(
                "BUG: sleeping function called from invalid context at {}/lib_might.c:14",
                b.path()
            ),
            "preempt_count: 1, expected: 0",
            "RCU nest depth: 0, expected: 0",
            "lib_might: after atomic might_sleep",
        ],
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("BUG: sleeping function"))
            .count(),
        1,
        "{}",
        log.join("\n")
    );
    assert_ne!(k.tainted() & (1 << 9), 0, "taint W");
}

/// Sends `insmod FILE` on an open connection; the reply's errno.
fn init_module_on(conn: &mut UnixStream, file: &std::path::Path) -> i32 {
    let req = Request::InitModule {
        image: std::fs::read(file).unwrap(),
        params: String::new(),
        flags: 0,
    };
    req.write(conn).unwrap();
    conn.flush().unwrap();
    let mut r = BufReader::new(conn.try_clone().unwrap());
    loop {
        match Reply::read(&mut r).unwrap() {
            Reply::Console(_) => continue,
            Reply::Done { errno, .. } => return errno,
        }
    }
}

#[test]
fn an_oops_under_a_spinlock_does_not_leave_the_thread_atomic() {
    need_env!();
    let b = built_ok("lib_basic");
    let k = Kernel::new("lib-spin-oops").at(&b.dir);
    k.boot();
    // Both requests on one connection: served by one thread, whose context the first module
    // leaves with a spinlock held, interrupts off and an RCU read-side section open.
    let mut conn = UnixStream::connect(k.state.join("kernel.sock")).unwrap();
    assert_eq!(
        init_module_on(&mut conn, &b.ko("lib_spin_oops")),
        libc::EFAULT
    );
    assert_eq!(init_module_on(&mut conn, &b.ko("lib_sleeper")), 0);
    drop(conn);
    let log = k.dmesg();
    let pid_note = |what: &str| {
        log.iter().any(|l| {
            l.strip_prefix("note: insmod[")
                .and_then(|r| r.split_once("] "))
                .is_some_and(|(pid, rest)| pid.parse::<u32>().is_ok() && rest == what)
        })
    };
    assert_in_order(
        &log,
        &[
            "lib_spin_oops: in_atomic=1 irqs_disabled=1",
            "BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "---[ end trace 0000000000000000 ]---",
            "lib_sleeper: in_atomic=0 irqs_disabled=0 rcu=0",
            "lib_sleeper: slept",
        ],
    );
    assert!(pid_note("exited with irqs disabled"), "{}", log.join("\n"));
    assert!(
        pid_note("exited with preempt_count 1"),
        "{}",
        log.join("\n")
    );
    assert!(
        !log.iter().any(|l| l.starts_with("BUG: sleeping function")),
        "{}",
        log.join("\n")
    );
}

#[test]
fn the_console_log_file_rotates_and_stays_bounded() {
    need_env!();
    let b = built_ok("lib_basic");
    let k = Kernel::new("lib-flood").at(&b.dir);
    k.boot();
    // 17,000 console lines of about 1 KB: past the 16 MiB limit of kernel.log.
    // (The lines also reach the inserting command's terminal, as console lines do.)
    let r = k.run(&[
        "insmod",
        &b.ko("lib_flood").display().to_string(),
        "lines=17000",
    ]);
    assert_eq!(r.code, Some(0), "insmod lib_flood failed");
    let log = k.state.join("kernel.log");
    let old = k.state.join("kernel.log.1");
    let old_len = std::fs::metadata(&old)
        .expect("kernel.log.1 after rotation")
        .len();
    assert!(old_len >= 16 << 20, "{old_len}");
    let new_len = std::fs::metadata(&log).unwrap().len();
    assert!(new_len < 4 << 20, "{new_len}");
    // The console goes on in the new file, and the ring buffer still has the latest lines.
    k.ok(&["rmmod", "lib_flood"]);
    let r = k.run(&["write", "/dev/kmsg", "<3>after rotation"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("lib_flood: 016999 "), "the last flood line");
    assert!(
        text.contains("after rotation"),
        "{}",
        &text[text.len().saturating_sub(300)..]
    );
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l.starts_with("lib_flood: 016999 ")));
}

#[test]
fn idr_and_ida_hand_out_ids_as_linux_does() {
    need_env!();
    let b = built_ok("lib_basic");
    let k = Kernel::new("lib-idr").at(&b.dir);
    k.load(&b.ko("lib_idr"));
    let log = k.dmesg();
    assert_eq!(
        lines_from(&log, "lib_idr: "),
        [
            "lib_idr: alloc 0 1 10",
            "lib_idr: full range -28, then 11, bad start -22",
            "lib_idr: find 1=one 10=two 7=NULL",
            "lib_idr: replace 1 was one; 7 gives -2",
            "lib_idr: remove 0 gives zero, again NULL",
            "lib_idr: each 1=three",
            "lib_idr: each 10=two",
            "lib_idr: for_each returned 99",
            "lib_idr: entry 1=three",
            "lib_idr: entry 10=two",
            "lib_idr: entry 11=three",
            "lib_idr: entry_ul 1=three",
            "lib_idr: entry_ul 10=two",
            "lib_idr: entry_ul 11=three",
            "lib_idr: u32 0 next=5",
            "lib_idr: destroyed: empty=1",
            "lib_idr: cyclic 1",
            "lib_idr: cyclic 2",
            "lib_idr: cyclic -28",
            "lib_idr: cyclic after remove 1",
            "lib_idr: ida 0 1 8 -28",
            "lib_idr: ida again 0",
            "lib_idr: ida destroyed: empty=1",
        ]
    );
    // A free of an id never handed out: Linux's WARN, naming the module's call.
    assert_in_order(
        &log,
        &[
            "------------[ cut here ]------------",
            "ida_free called for id=5 which is not allocated.",
        ],
    );
    assert!(
        log.iter().any(|l| l.starts_with("WARNING: CPU: ")
            && l.contains(" at lib/idr.c lib_idr_init+0x")),
        "{log:?}"
    );
    k.ok(&["rmmod", "lib_idr"]);
}
