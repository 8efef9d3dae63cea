//! Kernel threads and work queues in the sandbox (issue 5): real modules in `tests/modules/kt_*`
//! and `examples/{kthread,workqueue}` create threads and queue work, and report what they saw in
//! the kernel log.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::*;

/// Waits (up to 10 s) until a dmesg line contains `needle`; returns the log.
fn wait_for(k: &Kernel, needle: &str) -> Vec<String> {
    let start = Instant::now();
    loop {
        let log = k.dmesg();
        if log.iter().any(|l| l.contains(needle)) {
            return log;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{needle:?} never appeared in:\n{}",
            log.join("\n")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn has(log: &[String], line: &str) -> bool {
    log.iter().any(|l| l == line)
}

fn assert_has(log: &[String], line: &str) {
    assert!(has(log, line), "{line:?} missing from:\n{}", log.join("\n"));
}

/// The line containing `needle`.
fn line_with<'a>(log: &'a [String], needle: &str) -> &'a str {
    log.iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{}", log.join("\n")))
}

/// The value after `key=` in a line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let at = line
        .find(&format!("{key}="))
        .unwrap_or_else(|| panic!("{key}= missing in {line:?}"));
    line[at + key.len() + 1..].split(' ').next().unwrap()
}

#[test]
fn kthreads_count_exactly_and_stop_returns_exit_values() {
    need_env!();
    let b = built_ok("kt_threads");
    let k = Kernel::new("kt_count").at(&b.dir);
    k.load(&b.ko("kt_count"));
    let log = k.dmesg();
    // 4 threads x 100000 atomic adds; exit values 100+0 .. 100+3.
    assert_has(
        &log,
        "kt_count: total 400000 (expected 400000), exit values sum 406",
    );
    k.ok(&["rmmod", "kt_count"]);

    k.load(&b.ko("kt_exit"));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "kt_exit: returned 42",
            "kt_exit: kthread_exit 7",
            "kt_exit: complete_and_exit 9",
            "kt_exit: never woken -4",
        ],
    );
    assert!(!log.iter().any(|l| l.contains("ran") || l.contains("Oops")));
    k.ok(&["rmmod", "kt_exit"]);
}

#[test]
fn a_kthread_knows_who_it_is() {
    need_env!();
    let b = built_ok("kt_threads");
    let k = Kernel::new("kt_ident").at(&b.dir);
    k.load(&b.ko("kt_ident"));
    let log = k.dmesg();
    let created = line_with(&log, "kt_ident: created");
    let inside = line_with(&log, "kt_ident: in thread");
    // Created asleep (TASK_UNINTERRUPTIBLE), named from the format, from insmod's context.
    assert_eq!(field(created, "comm"), "kt_ident/3");
    assert_eq!(field(created, "state"), "2");
    assert_eq!(field(created, "caller"), "insmod");
    assert_eq!(field(created, "kthread"), "0");
    assert_eq!(field(inside, "comm"), "kt_ident/3");
    assert_eq!(field(inside, "pid"), field(created, "pid"));
    assert_ne!(field(inside, "pid"), "0");
    for (key, want) in [
        ("kthread", "1"),
        ("data", "1234"),
        ("same", "1"),
        ("cpu", "0"),
        ("state", "0"),
    ] {
        assert_eq!(field(inside, key), want, "{inside}");
    }
    k.ok(&["rmmod", "kt_ident"]);
}

#[test]
fn kthread_park_and_unpark() {
    need_env!();
    let b = built_ok("kt_threads");
    let k = Kernel::new("kt_park").at(&b.dir);
    k.load(&b.ko("kt_park"));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "kt_park: park 0",
            "kt_park: state while parked 64, ran while parked 0",
            "kt_park: ran after unpark 1, stop 5",
        ],
    );
}

#[test]
fn a_faulting_kthread_oopses_and_the_sandbox_goes_on() {
    need_env!();
    let b = built_ok("kt_threads");
    let k = Kernel::new("kt_oops").at(&b.dir);
    k.load(&b.ko("kt_oops"));
    let log = wait_for(&k, "---[ end trace");
    assert_in_order(
        &log,
        &[
            "kt_oops: thread about to fault",
            "BUG: kernel NULL pointer dereference, address: 0000000000000000",
        ],
    );
    let header = line_with(&log, "Comm: ");
    assert!(header.contains("Comm: kt_oops "), "{header}");
    assert!(
        log.iter()
            .any(|l| l.starts_with("RIP: 0010:faulty+") && l.ends_with(" [kt_oops]")),
        "{}",
        log.join("\n")
    );
    assert_has(&log, " lkm_kthread+0x0/0x0");
    // Tainted D; the kernel serves on, the module unloads, kthread_stop reaps the dead thread.
    assert_eq!(k.tainted() & (1 << 7), 1 << 7);
    assert!(k.ok(&["lsmod"]).contains("kt_oops"));
    k.ok(&["rmmod", "kt_oops"]);
    assert_has(&k.dmesg(), "kt_oops: stopped the dead thread: 0");
    k.load(&b.ko("kt_count"));
}

#[test]
fn unloading_a_module_with_a_running_kthread_keeps_its_code() {
    need_env!();
    let b = built_ok("kt_threads");
    let k = Kernel::new("kt_orphan").at(&b.dir);
    k.load(&b.ko("kt_orphan"));
    wait_for(&k, "kt_orphan: thread started");
    // The report goes to the console of rmmod (KERN_ERR), which succeeds.
    let r = k.run(&["rmmod", "kt_orphan"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let out = untime(&r.stderr);
    assert!(
        out.contains("[    t] lkm: kt_orphan: kthread \"kt_orphan\" (pid ")
            && out.contains(", lingers) still running at unload\n"),
        "{r:?}"
    );
    let log = k.dmesg();
    let running = log
        .iter()
        .find(|l| l.starts_with("lkm: kt_orphan: kthread \"kt_orphan\" (pid "))
        .expect("the running kthread is reported")
        .clone();
    assert!(
        running.ends_with(", lingers) still running at unload"),
        "{running}"
    );
    assert_in_order(
        &log,
        &[
            "kt_orphan: exit without kthread_stop",
            &running,
            "lkm: kt_orphan: module memory kept until its threads leave its code",
        ],
    );
    assert_eq!(k.ok(&["lsmod"]), LSMOD_HEADER);
    // The thread goes on in the module's code (still mapped) and ends; then the memory goes.
    let log = wait_for(
        &k,
        "lkm: kt_orphan: last thread left the module's code; its memory is freed",
    );
    assert_in_order(
        &log,
        &[
            "kt_orphan: thread done",
            &running.replace(
                ", lingers) still running at unload",
                ") exited (0) after its module was unloaded",
            ),
            "lkm: kt_orphan: last thread left the module's code; its memory is freed",
        ],
    );
    assert!(!log.iter().any(|l| l.contains("Oops")));
    // The same memory serves the next module.
    k.load(&b.ko("kt_orphan"));
    wait_for(&k, "kt_orphan: thread done");
}

#[test]
fn work_queues_run_items_as_linux_does() {
    need_env!();
    let b = built_ok("kt_work");
    let k = Kernel::new("kt_wq").at(&b.dir);
    k.load(&b.ko("kt_wq"));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "kt_wq: work running in kworker/u2:0, current_work ok 1, pending 0",
            "kt_wq: worker comm kworker/u2:0 (not insmod: 1)",
            "kt_wq: queue_work 1 then 0, pending 1",
            "kt_wq: b ran 1 time(s), pending 0",
            "kt_wq: order 0 1 2 3",
            "kt_wq: after flush_workqueue done=1",
            "kt_wq: cancel_work_sync 0, done=1",
            "kt_wq: after destroy_workqueue b ran 1",
            "kt_wq: system_wq work in kworker",
            "kt_wq: after flush_scheduled_work done=1",
        ],
    );
    k.ok(&["rmmod", "kt_wq"]);
    assert_has(&k.dmesg(), "kt_wq: destroyed");
}

/// Seconds of a `[    1.234567] ` dmesg timestamp at the start of `line`.
fn stamp(line: &str) -> f64 {
    let inner = &line[1..line.find(']').unwrap()];
    inner.trim().parse().unwrap()
}

#[test]
fn delayed_work_waits_its_delay_and_cancel_sync_stops_it() {
    need_env!();
    let b = built_ok("kt_work");
    let k = Kernel::new("kt_delay").at(&b.dir);
    k.load(&b.ko("kt_delay"));
    wait_for(&k, "kt_delay: delayed work ran");
    wait_for(&k, "kt_delay: modded work ran");
    let log: Vec<String> = k.ok(&["dmesg"]).lines().map(str::to_string).collect();
    let queued = stamp(line_with(&log, "kt_delay: queueing"));
    let ran_line = line_with(&log, "kt_delay: delayed work ran in kworker");
    let ran = stamp(ran_line);
    // 50 jiffies: at least 50 by the module's own clock; in wall time 200 ms (HZ=250) less the
    // part of the current tick already gone when it was queued (and the tick's jitter).
    let waited: u64 = ran_line
        .rsplit(" after ")
        .next()
        .and_then(|r| r.strip_suffix(" jiffies"))
        .unwrap()
        .parse()
        .unwrap();
    assert!((50..250).contains(&waited), "{ran_line}");
    assert!(ran - queued >= 0.19, "{queued} -> {ran}");
    assert!(ran - queued < 5.0, "{queued} -> {ran}");
    let plain = k.dmesg();
    assert_in_order(
        &plain,
        &[
            "kt_delay: queued 1 0",
            "kt_delay: pending 1, cancel 1, pending 0",
            "kt_delay: mod 1",
        ],
    );
    // Well past the cancelled item's delay: it never ran.
    std::thread::sleep(Duration::from_millis(300));
    assert!(!k.dmesg().iter().any(|l| l.contains("cancelled work ran")));
    k.ok(&["rmmod", "kt_delay"]);
}

#[test]
fn a_faulting_work_item_oopses_and_the_worker_goes_on() {
    need_env!();
    let b = built_ok("kt_work");
    let k = Kernel::new("kt_wqoops").at(&b.dir);
    k.load(&b.ko("kt_wqoops"));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "BUG: kernel NULL pointer dereference, address: 0000000000000000",
            " lkm_process_one_work+0x0/0x0",
            "kt_wqoops: next item ran",
        ],
    );
    assert!(line_with(&log, "Comm: ").contains("Comm: kworker/u2:"));
    k.ok(&["rmmod", "kt_wqoops"]);
}

#[test]
fn pending_work_of_an_unloaded_module_is_dropped() {
    need_env!();
    let b = built_ok("kt_work");
    let k = Kernel::new("kt_wqleft").at(&b.dir);
    k.load(&b.ko("kt_wqleft"));
    let r = k.run(&["rmmod", "kt_wqleft"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stderr.contains("still pending at unload: cancelled"),
        "{r:?}"
    );
    let log = k.dmesg();
    assert!(
        log.iter()
            .any(|l| l
                == "lkm: kt_wqleft: delayed work item left still pending at unload: cancelled"),
        "{}",
        log.join("\n")
    );
    std::thread::sleep(Duration::from_millis(400));
    assert!(!k.dmesg().iter().any(|l| l.contains("unloaded module ran")));
}

// ---------------------------------------------------------------------------------------------
// The examples, built with their own Makefiles as a user would.

fn build_example(name: &str) -> std::path::PathBuf {
    let env = env().expect("checked by the caller");
    let dir = env.root.join("build").join(format!("example-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&repo().join("examples").join(name), &dir);
    let mut c = Command::new("make");
    c.arg("-C")
        .arg(&dir)
        .arg(format!("KDIR={}", env.sdk.display()))
        .env("LKM_SDK_CACHE", env.root.join("sdk-cache"))
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    let r = run(c);
    assert_eq!(r.code, Some(0), "building examples/{name}: {r:?}");
    dir
}

fn ko(dir: &Path, name: &str) -> std::path::PathBuf {
    dir.join(format!("{name}.ko"))
}

#[test]
fn example_kthread() {
    need_env!();
    let dir = build_example("kthread");
    let k = Kernel::new("example-kthread").at(&dir);
    k.load(&ko(&dir, "kthread_example"));
    wait_for(&k, "kthread_example: tick 2");
    k.ok(&["rmmod", "kthread_example"]);
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "kthread_example: tick 1",
            "kthread_example: tick 2",
            "kthread_example: thread stopped, returned 0",
        ],
    );
    assert_has(&log, "kthread_example: started thread example_thread");
    let pid = line_with(&log, "kthread_example: example_thread running as pid ");
    assert!(
        pid.rsplit(' ').next().unwrap().parse::<i32>().unwrap() > 0,
        "{pid}"
    );
    let stopping = line_with(&log, "kthread_example: example_thread stopping after ");
    assert!(stopping.ends_with(" ticks"), "{stopping}");
}

#[test]
fn example_workqueue() {
    need_env!();
    let dir = build_example("workqueue");
    let k = Kernel::new("example-workqueue").at(&dir);
    k.load(&ko(&dir, "workqueue_example"));
    wait_for(&k, "workqueue_example: delayed work ran");
    k.ok(&["rmmod", "workqueue_example"]);
    let log = k.dmesg();
    assert_has(&log, "workqueue_example: queued the work");
    assert_in_order(
        &log,
        &[
            "workqueue_example: work 1 runs in kworker/u2:0",
            "workqueue_example: work 2 runs in kworker/u2:0",
            "workqueue_example: all work done",
            "workqueue_example: delayed work ran",
            "workqueue_example: workqueue destroyed",
        ],
    );
}
