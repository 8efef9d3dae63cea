//! Kernel services, time (issue 5): jiffies at HZ = 250, delays and sleeps, ktime and timespec64
//! clocks, timers and tasklets on the softirq thread, and the timer and tasklet examples.
//!
//! The modules (`tests/modules/time_basic/`, `examples/timer/`, `examples/tasklet/`) print what
//! they measure; the tests read it back through `dmesg` and check it against the kernel's rules.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod common;
use common::*;

/// The value after `key=` in `line` (up to the next space).
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let pat = format!("{key}=");
    let at = line
        .find(&pat)
        .unwrap_or_else(|| panic!("{key} missing in {line:?}"))
        + pat.len();
    line[at..].split(' ').next().unwrap()
}

fn num(line: &str, key: &str) -> i64 {
    field(line, key)
        .parse()
        .unwrap_or_else(|_| panic!("{key} not a number in {line:?}"))
}

/// The one dmesg line starting with `prefix`.
fn line_with<'a>(log: &'a [String], prefix: &str) -> &'a str {
    let found: Vec<&String> = log.iter().filter(|l| l.starts_with(prefix)).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one line starting {prefix:?} in:\n{}",
        log.join("\n")
    );
    found[0]
}

/// Waits until dmesg has a line starting with `prefix` (at most `secs` seconds).
fn wait_for(k: &Kernel, prefix: &str, secs: u64) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let log = k.dmesg();
        if log.iter().any(|l| l.starts_with(prefix)) || Instant::now() > end {
            return log;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn jiffies_delays_sleeps_and_clocks() {
    need_env!();
    let b = built_ok("time_basic");
    let k = Kernel::new("time_clock");
    let host_before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    k.load(&b.ko("time_clock"));
    let log = k.dmesg();
    // jiffies advance on their own at 250 Hz: 100 ms of busy-waiting is 25 ± 2 jiffies (on a
    // loaded machine the wait can take longer: the rate is what counts, one jiffy per 4 ms).
    let l = line_with(&log, "time_clock: HZ=250 mdelay(100): jiffies+");
    let dj: i64 = l
        .split("jiffies+")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let ms: i64 = l
        .split(" in ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ms >= 100, "{l}");
    assert!((dj - ms / 4).abs() <= 2, "{l}");
    // msleep(100) sleeps at least 100 ms (Linux: msecs_to_jiffies + 1 jiffies = 104 ms), < 150.
    let l = line_with(&log, "time_clock: msleep(100) took ");
    let us: i64 = l
        .split("took ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((100_000..150_000).contains(&us), "{l}");
    let l = line_with(&log, "time_clock: usleep_range(2000)+udelay(500) took ");
    let us: i64 = l
        .split("took ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((2_500..50_000).contains(&us), "{l}");
    assert!(log.contains(&"time_clock: msecs_to_jiffies(100)=25 usecs_to_jiffies(4001)=2 jiffies_to_msecs(25)=100 jiffies_to_usecs(3)=12000".to_string()), "{log:?}");
    assert!(log.contains(&"time_clock: time_after=1 time_before=0 time_after_eq=1 jiffies64_matches=1 initial_low32_wraps=1".to_string()), "{log:?}");
    assert!(
        log.contains(
            &"time_clock: ns_to_ktime=1500000 ktime_to_ms=1234 ktime_add=3 timespec=1".to_string()
        ),
        "{log:?}"
    );
    assert!(log.contains(&"time_clock: schedule_timeout_interruptible(5) left 0".to_string()));
    // Clocks: monotonic counts from the sandbox's boot; realtime is the host's.
    let l = line_with(&log, "time_clock: mono=");
    let (sec, nsec) = field(l, "mono").split_once('.').unwrap();
    let mono_ns = sec.parse::<i64>().unwrap() * 1_000_000_000 + nsec.parse::<i64>().unwrap();
    assert_eq!(nsec.len(), 9, "{l}");
    assert!(mono_ns > 200_000_000 && mono_ns < 60_000_000_000, "{l}");
    let boot_ns = num(l, "boot_ns");
    assert!(
        boot_ns >= mono_ns && boot_ns - mono_ns < 1_000_000_000,
        "{l}"
    );
    let (rsec, _) = field(l, "real").split_once('.').unwrap();
    let rsec: i64 = rsec.parse().unwrap();
    assert!((rsec - host_before).abs() < 60, "{l}");
    let real_ns = num(l, "real_ns");
    assert!(
        real_ns / 1_000_000_000 - rsec <= 1 && real_ns / 1_000_000_000 >= rsec,
        "{l}"
    );
}

#[test]
fn timers_fire_on_time_rearm_delete_and_run_in_softirq_context() {
    need_env!();
    let b = built_ok("time_basic");
    let k = Kernel::new("time_timer");
    k.load(&b.ko("time_timer"));
    let log = wait_for(&k, "time_timer: a fired", 3);
    let log = {
        // d re-arms itself three times; b fires at +5; all well before 1 s.
        std::thread::sleep(Duration::from_millis(100));
        let _ = log;
        k.dmesg()
    };
    assert_in_order(
        &log,
        &[
            "time_timer: init in_interrupt=0 in_task=1",
            "time_timer: a pending=1",
            "time_timer: b mod_timer=0",
            "time_timer: b mod_timer again=1",
            "time_timer: c del_timer_sync=1 pending=0",
            "time_timer: c del_timer again=0",
        ],
    );
    // A timer set for +10 jiffies fires within one jiffy of its deadline, in softirq context on
    // ksoftirqd/0, no longer pending.
    let a = line_with(&log, "time_timer: a fired");
    let late = num(a, "late");
    assert!((0..=1).contains(&late), "{a}");
    assert_eq!(
        a.split_once(" in_interrupt").unwrap().1,
        "=1 in_softirq=1 in_task=0 in_atomic=1 pending=0 comm=ksoftirqd/0"
    );
    // mod_timer moved b from +10000 to +5: it fired.
    line_with(&log, "time_timer: b fired (re-armed)");
    // The static DEFINE_TIMER one re-armed itself from its callback.
    line_with(&log, "time_timer: d ran 3 times");
    // c was deleted before expiry.
    std::thread::sleep(Duration::from_millis(100));
    let log = k.dmesg();
    assert!(!log.iter().any(|l| l.contains("c fired")), "{log:?}");
    k.ok(&["rmmod", "time_timer"]);
    assert!(k.dmesg().contains(&"time_timer: exit".to_string()));
    assert_eq!(k.tainted() & (1 << 7), 0, "no oops");
}

#[test]
fn a_faulting_timer_callback_oopses_and_the_softirq_thread_keeps_running() {
    need_env!();
    let b = built_ok("time_basic");
    let k = Kernel::new("time_oops");
    k.load(&b.ko("time_oops"));
    let log = wait_for(&k, "time_oops: still ticking after the oops", 3);
    assert_in_order(
        &log,
        &[
            "time_oops: faulting in a timer",
            "BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "#PF: supervisor write access in kernel mode",
            "---[ end trace 0000000000000000 ]---",
            "time_oops: still ticking after the oops",
        ],
    );
    let rip = line_with(&log, "RIP: 0010:");
    assert!(
        rip.starts_with("RIP: 0010:bad_timer_fn+0x") && rip.ends_with(" [time_oops]"),
        "{rip}"
    );
    let cpu = line_with(&log, "CPU: 0 UID: 0 PID: ");
    assert!(cpu.contains(" Comm: ksoftirqd/0 "), "{cpu}");
    assert!(
        log.contains(&" lkm_run_timer_softirq+0x0/0x0".to_string()),
        "{log:?}"
    );
    assert_ne!(k.tainted() & (1 << 7), 0, "taint D");
    // The kernel keeps serving: another module's timers and tasklets still run.
    k.load(&b.ko("time_tasklet"));
    line_with(&k.dmesg(), "time_tasklet: after kill runs=1");
    k.ok(&["rmmod", "time_oops", "time_tasklet"]);
}

#[test]
fn a_tasklet_runs_once_in_softirq_context_and_waits_while_disabled() {
    need_env!();
    let b = built_ok("time_basic");
    let k = Kernel::new("time_tasklet");
    k.load(&b.ko("time_tasklet"));
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            // Scheduled twice while disabled: deferred (state shows TASKLET_STATE_SCHED).
            "time_tasklet: while disabled runs=0 state=1",
            "time_tasklet: run 1 tag=7 in_softirq=1 in_interrupt=1 in_task=0 comm=ksoftirqd/0",
            "time_tasklet: after kill runs=1",
            "time_tasklet: old-style data=42",
        ],
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("time_tasklet: run "))
            .count(),
        1
    );
    k.ok(&["rmmod", "time_tasklet"]);
}

#[test]
fn a_timer_pending_at_unload_is_deleted() {
    need_env!();
    let b = built_ok("time_basic");
    let k = Kernel::new("time_pending");
    k.load(&b.ko("time_pending"));
    // The report names the callback; rmmod shows it (KERN_ERR) and succeeds.
    let r = k.run(&["rmmod", "time_pending"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stderr
            .contains("] lkm: time_pending: timer late_fn still pending at unload: deleted\n"),
        "{r:?}"
    );
    // It was due at +500 ms.
    std::thread::sleep(Duration::from_millis(800));
    let log = k.dmesg();
    assert!(log.contains(&"time_pending: armed".to_string()));
    assert!(
        !log.iter().any(|l| l.contains("must not happen")),
        "{log:?}"
    );
    assert_eq!(k.tainted() & (1 << 7), 0, "no oops: {log:?}");
    // The same module loads again (at the same address) and unloads (with the same report).
    k.load(&b.ko("time_pending"));
    assert_eq!(k.run(&["rmmod", "time_pending"]).code, Some(0));
}

// ---------------------------------------------------------------------------------------------
// The examples.

/// Builds `examples/<name>` with its own Makefile (`make KDIR=$(lkm sdk)`), once per process.
fn example(name: &'static str) -> PathBuf {
    static TIMER: OnceLock<PathBuf> = OnceLock::new();
    static TASKLET: OnceLock<PathBuf> = OnceLock::new();
    let cell = if name == "timer" { &TIMER } else { &TASKLET };
    cell.get_or_init(|| {
        let env = env().unwrap();
        let dir = env.root.join("build").join(format!("example-{name}"));
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
    })
    .clone()
}

#[test]
fn example_timer_ticks_periodically() {
    need_env!();
    let dir = example("timer");
    let k = Kernel::new("example_timer").at(&dir);
    let r = k.run(&["insmod", "ticker.ko", "period_ms=100", "ticks=3"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let log = wait_for(&k, "ticker: done", 5);
    assert_in_order(
        &log,
        &["ticker: 3 ticks every 100 ms (HZ=250)", "ticker: done"],
    );
    let ticks: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("ticker: tick "))
        .collect();
    assert_eq!(ticks.len(), 3, "{log:?}");
    for (i, l) in ticks.iter().enumerate() {
        // "ticker: tick N at +M ms (in softirq)", M about N × 100.
        let ms: u64 = l
            .split('+')
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let want = 100 * (i as u64 + 1);
        assert!(ms >= want && ms <= want + 40, "{l}");
        assert!(l.ends_with(" ms (in softirq)"), "{l}");
    }
    k.ok(&["rmmod", "ticker"]);
    assert!(k
        .dmesg()
        .contains(&"ticker: stopped after 3 ticks".to_string()));
}

#[test]
fn example_tasklet_runs_once_for_three_schedules() {
    need_env!();
    let dir = example("tasklet");
    let k = Kernel::new("example_tasklet").at(&dir);
    k.load(&dir.join("deferred.ko"));
    let log = wait_for(&k, "deferred: run 1", 3);
    assert!(
        log.contains(&"deferred: scheduled 3 times".to_string()),
        "{log:?}"
    );
    assert!(
        log.contains(&"deferred: run 1 on ksoftirqd/0: 3 values, sum 60, in_softirq=1".to_string()),
        "{log:?}"
    );
    k.ok(&["rmmod", "deferred"]);
    let log = k.dmesg();
    assert!(log.contains(&"deferred: 1 run(s)".to_string()), "{log:?}");
}
