//! Fault detection beyond oopses (issue 6, items 4 and 5): the soft-lockup and hung-task
//! detectors with their sysctls, and sleeping in atomic (softirq) context.
//!
//! A spinning or deadlocked module cannot be stopped, in the sandbox as in Linux: each of those
//! tests ends by halting its kernel (the `Kernel` guard's `lkm halt`), which must work while a
//! thread spins.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::*;

/// Waits until dmesg has at least `n` lines starting with `prefix` (at most `secs` seconds).
fn wait_for(k: &Kernel, prefix: &str, n: usize, secs: u64) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let log = k.dmesg();
        if log.iter().filter(|l| l.starts_with(prefix)).count() >= n || Instant::now() > end {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `lkm insmod FILE` in the background (it never returns for these modules).
fn insmod_bg(k: &Kernel, file: &std::path::Path) -> Child {
    k.cmd(&["insmod", &file.display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot run lkm insmod")
}

/// lsmod, insmod hello and rmmod hello work while another request's thread is stuck.
fn others_keep_working(k: &Kernel, stuck: &str) {
    let hello = built_ok("hello");
    let lsmod = k.ok(&["lsmod"]);
    assert!(lsmod.contains(stuck), "{lsmod}");
    k.load(&hello.ko("hello"));
    assert!(k.ok(&["lsmod"]).contains("hello"));
    let r = k.run(&["rmmod", "hello"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(!k.ok(&["lsmod"]).contains("hello"));
}

fn index_of(log: &[String], prefix: &str) -> usize {
    log.iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{}", log.join("\n")))
}

#[test]
fn sysctls_read_write_and_validate() {
    need_env!();
    let k = Kernel::new("wd_sysctl");
    k.boot();
    assert_eq!(k.cat("/proc/sys/kernel/watchdog_thresh"), "10\n");
    assert_eq!(k.cat("/proc/sys/kernel/hung_task_timeout_secs"), "120\n");
    assert_eq!(k.cat("/proc/sys/kernel/softlockup_panic"), "0\n");
    assert_eq!(k.cat("/proc/sys/kernel/hung_task_warnings"), "10\n");
    let ls = k.cat("/proc/sys/kernel");
    for f in [
        "hung_task_timeout_secs",
        "hung_task_warnings",
        "softlockup_panic",
        "watchdog_thresh",
    ] {
        assert!(ls.lines().any(|l| l == f), "{f} missing from:\n{ls}");
    }
    k.ok(&["write", "/proc/sys/kernel/watchdog_thresh", "3"]);
    assert_eq!(k.cat("/proc/sys/kernel/watchdog_thresh"), "3\n");
    k.ok(&["write", "/proc/sys/kernel/hung_task_timeout_secs", "0\n"]);
    assert_eq!(k.cat("/proc/sys/kernel/hung_task_timeout_secs"), "0\n");
    k.ok(&["write", "--", "/proc/sys/kernel/hung_task_warnings", "-1"]);
    assert_eq!(k.cat("/proc/sys/kernel/hung_task_warnings"), "-1\n");
    for (file, bad) in [
        ("watchdog_thresh", "61"),
        ("watchdog_thresh", "-1"),
        ("watchdog_thresh", "ten"),
        ("hung_task_timeout_secs", "-5"),
        ("hung_task_warnings", "-2"),
        ("softlockup_panic", "2"),
    ] {
        let r = k.run(&["write", "--", &format!("/proc/sys/kernel/{file}"), bad]);
        assert_ne!(r.code, Some(0), "{file} = {bad}: {r:?}");
        assert!(
            r.stderr.contains("Invalid argument"),
            "{file} = {bad}: {r:?}"
        );
    }
    assert_eq!(k.cat("/proc/sys/kernel/watchdog_thresh"), "3\n");
}

#[test]
fn soft_lockup_is_reported_repeatedly_while_the_kernel_keeps_serving() {
    need_env!();
    let b = built_ok("wd_spin");
    let k = Kernel::new("wd_spin");
    k.boot();
    k.ok(&["write", "/proc/sys/kernel/watchdog_thresh", "1"]);
    let mut child = insmod_bg(&k, &b.ko("wd_spin"));
    let log = wait_for(&k, "watchdog: BUG: soft lockup", 2, 20);
    let first = index_of(&log, "watchdog: BUG: soft lockup - CPU#0 stuck for ");
    let l = &log[first];
    assert!(l.ends_with(&format!("s! [insmod:{}]", child.id())), "{l}");
    let secs: u64 = l
        .trim_start_matches("watchdog: BUG: soft lockup - CPU#0 stuck for ")
        .split('s')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((2..=4).contains(&secs), "{l}");
    assert_eq!(log[first + 1], "Modules linked in: wd_spin(OE+)");
    assert!(
        log[first + 2].starts_with(&format!("CPU: 0 UID: 0 PID: {} Comm: insmod ", child.id())),
        "{}",
        log[first + 2]
    );
    assert!(
        log[first + 4].starts_with("RIP: 0010:wd_spin_loop+0x")
            && log[first + 4].ends_with(" [wd_spin]"),
        "{}",
        log[first + 4]
    );
    assert!(log[first + 5].starts_with("RSP: 0018:"));
    assert_eq!(log[first + 6], "Call Trace:");
    // Repeated, with a growing duration, and the kernel tainted L (bit 14) after the first.
    let reports: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("watchdog: BUG: soft lockup"))
        .collect();
    assert!(
        reports.len() >= 2 && reports[1] != reports[0],
        "{reports:?}"
    );
    assert!(k.tainted() & (1 << 14) != 0);
    let second = log
        .iter()
        .rposition(|l| l.starts_with("watchdog: BUG"))
        .unwrap();
    assert!(
        log[second + 2].contains(" Tainted: G           OEL     6.12.0-lkm #1"),
        "{}",
        log[second + 2]
    );
    // The kernel keeps serving other requests while the thread spins.
    others_keep_working(&k, "wd_spin");
    let _ = child.kill();
    let _ = child.wait();
    // Halting works while the thread still spins.
    let t = Instant::now();
    k.ok(&["halt"]);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(k.run(&["status"]).code, Some(3));
}

#[test]
fn hung_task_is_reported_and_the_kernel_keeps_serving() {
    need_env!();
    let b = built_ok("wd_hang");
    let k = Kernel::new("wd_hang");
    k.boot();
    k.ok(&["write", "/proc/sys/kernel/hung_task_timeout_secs", "2"]);
    k.ok(&["write", "/proc/sys/kernel/hung_task_warnings", "2"]);
    let mut child = insmod_bg(&k, &b.ko("wd_hang"));
    let pid = child.id();
    let log = wait_for(&k, "INFO: task insmod:", 2, 20);
    let at = index_of(
        &log,
        &format!("INFO: task insmod:{pid} blocked for more than "),
    );
    assert!(
        log[at].ends_with(" seconds.") && log[at].contains("than 2 seconds")
            || log[at].contains("than 3 seconds"),
        "{}",
        log[at]
    );
    assert_eq!(
        log[at + 1],
        "      Tainted: G           OE      6.12.0-lkm #1"
    );
    assert_eq!(
        log[at + 2],
        "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message."
    );
    assert_eq!(
        log[at + 3],
        format!(
            "task:insmod          state:D stack:0     pid:{pid:<5} tgid:{pid:<5} ppid:1      flags:0x00004000"
        )
    );
    assert_eq!(log[at + 4], "Call Trace:");
    let trace_end = at + log[at..].iter().position(|l| l == " </TASK>").unwrap();
    assert!(
        log[at..trace_end]
            .iter()
            .any(|l| l.starts_with(" ? wd_hang_deadlock+0x") && l.ends_with(" [wd_hang]")),
        "{}",
        log[at..=trace_end].join("\n")
    );
    // hung_task_warnings: two reports, then the note, then silence; the counter reaches 0.
    let log = wait_for(&k, "Future hung task reports are suppressed", 1, 10);
    std::thread::sleep(Duration::from_secs(3));
    let log2 = k.dmesg();
    assert_eq!(
        log2.iter().filter(|l| l.starts_with("INFO: task ")).count(),
        2,
        "{}",
        log.join("\n")
    );
    assert_eq!(k.cat("/proc/sys/kernel/hung_task_warnings"), "0\n");
    // No soft lockup for a sleeping task, even with a low threshold.
    k.ok(&["write", "/proc/sys/kernel/watchdog_thresh", "1"]);
    std::thread::sleep(Duration::from_secs(3));
    assert!(!k.dmesg().iter().any(|l| l.contains("soft lockup")));
    others_keep_working(&k, "wd_hang");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn sleeping_in_timer_and_tasklet_callbacks_is_reported() {
    need_env!();
    let b = built_ok("wd_atomic");
    let k = Kernel::new("wd_atomic");
    k.load(&b.ko("wd_timer_sleep"));
    let log = k.dmesg();
    let at = index_of(
        &log,
        "BUG: sleeping function called from invalid context at kernel/locking/mutex.c:283",
    );
    assert!(
        log[at + 1].starts_with("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ")
            && log[at + 1].ends_with(", name: ksoftirqd/0"),
        "{}",
        log[at + 1]
    );
    assert_eq!(log[at + 2], "preempt_count: 100, expected: 0");
    assert!(log.iter().any(|l| l == "wd_timer_sleep: timer ran=1"));
    assert!(k.tainted() & (1 << 9) != 0, "taint W");

    // The sleeping-in-atomic report is rate-limited to once a second.
    std::thread::sleep(Duration::from_millis(1100));
    k.load(&b.ko("wd_tasklet_sleep"));
    let log = k.dmesg();
    let at = index_of(&log, "BUG: scheduling while atomic: ksoftirqd/0/");
    assert!(log[at].ends_with("/0x00000101"), "{}", log[at]);
    assert!(
        log[at + 1].starts_with("Modules linked in: "),
        "{}",
        log[at + 1]
    );
    index_of(
        &log,
        "BUG: sleeping function called from invalid context at include/linux/sched/mm.h:321",
    );
    assert!(log.iter().any(|l| l == "wd_tasklet_sleep: tasklet ran=1"));
    k.ok(&["rmmod", "wd_timer_sleep", "wd_tasklet_sleep"]);
}

#[test]
fn user_access_outside_a_system_call_is_reported_and_fails() {
    need_env!();
    let b = built_ok("faults");
    let k = Kernel::new("fault_uaccess");
    k.load(&b.ko("fault_uaccess"));
    // The kthread and the timer report in either order (the load's own taint lines share the
    // module's prefix, so each report is waited for by its own).
    wait_for(&k, "fault_uaccess: kthread ", 1, 10);
    let log = wait_for(&k, "fault_uaccess: timer ", 1, 10);
    assert!(
        log.iter()
            .any(|l| l == "fault_uaccess: kthread copy_to_user left 4 bytes"),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l == "fault_uaccess: timer get_user returned -14"),
        "{log:?}"
    );
    let log = k.dmesg();
    let kthread = index_of(
        &log,
        "copy_to_user() outside a system call, in a kthread: there is no user memory here (user address 0x00007ffd12345000, 4 bytes); the access fails",
    );
    assert_eq!(log[kthread - 1], "------------[ cut here ]------------");
    assert!(
        log[kthread + 1].starts_with("WARNING: CPU: 0 PID: ")
            && log[kthread + 1].contains(" at fault_uaccess_thread+0x")
            && log[kthread + 1].ends_with(" [fault_uaccess]"),
        "{}",
        log[kthread + 1]
    );
    let timer = index_of(
        &log,
        "get_user() outside a system call, in interrupt context (a timer or tasklet): there is no user memory here (user address 0x00007ffd12345000, 4 bytes); the access fails",
    );
    assert!(
        log[timer + 1].contains(" at fault_uaccess_timer+0x"),
        "{}",
        log[timer + 1]
    );
    assert!(k.tainted() & (1 << 9) != 0, "taint W");
    others_keep_working(&k, "fault_uaccess");
    k.ok(&["rmmod", "fault_uaccess"]);
}
