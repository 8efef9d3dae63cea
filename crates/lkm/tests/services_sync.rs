//! Locking, atomics, waiting and RCU (issue 5, item 5), through real modules in a sandbox kernel:
//! `tests/modules/sync_single` (one context: each primitive's results, sleeping under a spinlock,
//! a signal ending an interruptible wait) and `tests/modules/sync_threads` (kernel threads
//! contending for every lock type).

use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::*;

/// `dmesg -t` lines that start with `prefix`, without it.
/// (The loader's taint messages, also prefixed with the module's name, are left out.)
fn logged(k: &Kernel, prefix: &str) -> Vec<String> {
    k.dmesg()
        .iter()
        .filter_map(|l| l.strip_prefix(prefix).map(str::to_string))
        .filter(|l| !l.contains("taint"))
        .collect()
}

/// Waits (up to 20 s) until `dmesg -t` has `line`.
fn wait_for_line(k: &Kernel, line: &str) {
    let start = Instant::now();
    while !k.dmesg().iter().any(|l| l == line) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{line:?} never logged:\n{}",
            k.dmesg().join("\n")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_primitive_gives_linux_results_in_one_context() {
    need_env!();
    let b = built_ok("sync_single");
    let k = Kernel::new("sync-single");
    k.boot();
    k.load(&b.ko("sync_single"));
    let want = [
        "atomic_inc_return=6",
        "atomic_fetch_add=6",
        "atomic_read=16",
        "atomic_cmpxchg=16",
        "atomic_xchg=1",
        "atomic_add_unless=0",
        "atomic_inc_not_zero=0",
        "atomic_dec_and_test=1",
        "atomic_dec_if_positive=-1",
        "atomic64_add_return=1099511627777",
        "atomic_long_sub_return=-5",
        "atomic_long_fetch_or=-5",
        "test_and_set_bit=1",
        "test_and_clear_bit=0",
        "test_bit=10",
        "find_first_bit=3",
        "find_next_bit=64",
        "find_next_bit_end=129",
        "find_first_zero_bit=0",
        "find_first_bit_after_clear=64",
        "hweight64=8",
        "fls=8",
        "__ffs=8",
        "mutex_is_locked=1",
        "mutex_trylock_held=0",
        "mutex_is_locked_after_unlock=0",
        "mutex_trylock_free=1",
        "mutex_lock_interruptible=0",
        "in_atomic_before=0",
        "in_atomic_under_spin_lock=1",
        "spin_is_locked=1",
        "spin_trylock_held=0",
        "in_atomic_after=0",
        "preempt_count_under_spin_lock_bh=0x201",
        "irqs_disabled_under_irqsave=1",
        "irqs_disabled_after_restore=0",
        "spin_trylock_free=1",
        "write_trylock_with_readers=0",
        "write_trylock_free=1",
        "read_trylock_with_writer=0",
        "down_read_trylock_shared=1",
        "down_write_trylock_with_readers=0",
        "down_write_trylock_free=1",
        "rwsem_is_locked=1",
        "down_read_trylock_after_downgrade=1",
        "rwsem_is_locked_after=0",
        "down_trylock_1=0",
        "down_interruptible_2=0",
        "down_trylock_3=1",
        "down_timeout_empty=-62",
        "down_timeout_after_up=0",
        "semaphore_count=2",
        "completion_done_initially=0",
        "try_wait_for_completion_initially=0",
        "completion_done_after_complete=1",
        "wait_for_completion_timeout_done=10",
        "wait_for_completion_timeout_again=0",
        "completion_done_after_complete_all=1",
        "wait_for_completion_interruptible_timeout_none=0",
        "waitqueue_active_empty=0",
        "wait_event_timeout_expired=0",
        "wait_event_timeout_true=5",
        "wait_event_interruptible_true=0",
        "waitqueue_active_prepared=1",
        "state_prepared=1",
        "state_after_wake_up=0",
        "waitqueue_active_after_wake_up=0",
        "refcount_read=2",
        "refcount_dec_and_test_2=0",
        "refcount_dec_and_test_1=1",
        "refcount_dec_and_test_0=0",
        "refcount_saturated=1",
        "rcu_read_lock_held=1",
        "rcu_read_lock_held_after=0",
        "rcu_dereference=7",
        "call_rcu_ran=1",
        // The callback ran (value 7) in softirq context (+100), on the RCU thread.
        "call_rcu_callback=107",
    ];
    assert_eq!(logged(&k, "sync_single: "), want);
    // The refcount underflow: lib/refcount.c's WARN, with the kernel's wording, tainting W.
    let log = k.dmesg();
    assert!(
        log.iter()
            .any(|l| l == "refcount_t: underflow; use-after-free."),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("WARNING: CPU: 0 PID: ")
            && l.ends_with(" at lib/refcount.c:28")),
        "{log:?}"
    );
    assert_ne!(k.tainted() & (1 << 9), 0, "taint W");
    // No sleeping-in-atomic report: every blocking call above ran in process context.
    assert!(
        !log.iter().any(|l| l.starts_with("BUG: sleeping")),
        "{log:?}"
    );
    k.ok(&["rmmod", "sync_single"]);
}

#[test]
fn sleeping_under_a_spinlock_is_reported_and_the_kernel_keeps_serving() {
    need_env!();
    let b = built_ok("sync_single");
    let k = Kernel::new("sync-atomic-sleep");
    k.boot();
    k.load(&b.ko("sync_atomic_sleep"));
    let log = k.dmesg();
    let at = log
        .iter()
        .position(|l| {
            l == "BUG: sleeping function called from invalid context at kernel/locking/mutex.c:283"
        })
        .unwrap_or_else(|| panic!("no BUG line in {log:#?}"));
    let detail = &log[at + 1];
    let pid = detail
        .strip_prefix("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ")
        .and_then(|r| r.strip_suffix(", name: insmod"))
        .unwrap_or_else(|| panic!("{detail:?}"));
    assert!(pid.parse::<u32>().is_ok(), "{detail:?}");
    assert_eq!(log[at + 2], "preempt_count: 1, expected: 0");
    assert_eq!(log[at + 3], "RCU nest depth: 0, expected: 0");
    assert_in_order(&log, &["sync_atomic_sleep: still running, in_atomic=0"]);
    // Both levels as the kernel logs them: the BUG lines at KERN_ERR.
    let raw = k.ok(&["dmesg", "-x", "-t"]);
    assert!(
        raw.lines().any(|l| l
            == "kern  :err   : BUG: sleeping function called from invalid context at kernel/locking/mutex.c:283"),
        "{raw}"
    );
    assert_ne!(k.tainted() & (1 << 9), 0, "taint W");
    // The kernel goes on serving.
    assert!(k.ok(&["lsmod"]).contains("sync_atomic_sleep"));
    k.ok(&["rmmod", "sync_atomic_sleep"]);
    k.load(&b.ko("sync_single"));
}

#[test]
fn a_killed_client_signals_an_interruptible_wait_and_init_fails() {
    need_env!();
    let b = built_ok("sync_single");
    let k = Kernel::new("sync-signal");
    k.boot();
    let mut child = k
        .cmd(&["insmod", &b.ko("sync_signal").display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_line(&k, "sync_signal: waiting");
    // Still waiting: nothing makes the condition true.
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    let _ = child.wait();
    // The hang-up is a pending signal: the wait returns -ERESTARTSYS and init fails with it.
    wait_for_line(&k, "sync_signal: wait returned -512, signal_pending=1");
    let start = Instant::now();
    while k.ok(&["lsmod"]).contains("sync_signal") {
        assert!(start.elapsed() < Duration::from_secs(10), "still loaded");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The kernel serves the next client normally.
    k.load(&b.ko("sync_atomic_sleep"));
}

#[test]
fn threads_contending_for_every_lock_keep_exact_counts() {
    need_env!();
    let b = built_ok("sync_threads");
    let k = Kernel::new("sync-threads");
    k.boot();
    k.load(&b.ko("sync_counter"));
    assert_eq!(
        logged(&k, "sync_counter: "),
        [
            "mutex=80000 spinlock=80000 rwsem=80000 semaphore=80000 atomic=80000",
            "woken with time left yes",
        ]
    );
    k.ok(&["rmmod", "sync_counter"]);
}

#[test]
fn static_keys_switch_their_branches() {
    need_env!();
    let b = built_ok("sync_single");
    let k = Kernel::new("sync-static-key");
    k.boot();
    k.load(&b.ko("sync_static_key"));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "sk: off=fast on=1 legacy=0",
            "sk: enabled twice: slow count=1",
            "sk: disabled: fast",
            "sk: inc inc dec: slow count=1",
            "sk: dec: fast enabled=0",
            "sk: on disabled: likely=0 unlikely=0",
            "sk: legacy inc: false=1 true=1",
            "------------[ cut here ]------------",
            "static_key_enable: count is not 0 or 1",
            "sk: enable on 2: count=2",
            "------------[ cut here ]------------",
            "jump label: negative count!",
            "sk: after the extra dec: count=0",
        ],
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("WARNING: CPU: ") && l.contains("sync_static_key_init")),
        "{log:?}"
    );
    assert_ne!(k.tainted() & (1 << 9), 0, "taint W");
    k.ok(&["rmmod", "sync_static_key"]);
}
