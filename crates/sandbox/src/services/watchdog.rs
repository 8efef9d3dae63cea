//! The lockup detectors (issue 6, item 4): what Linux's `kernel/watchdog.c` and
//! `kernel/hung_task.c` report, over the per-task bookkeeping of [`crate::sched`].
//!
//! - **Soft lockup.** A task inside module code (a guarded call is active on it) that has not
//!   touched the watchdog (scheduled, slept, called `cond_resched()`, returned to the kernel) for
//!   more than 2 × `watchdog_thresh` seconds is stuck: `watchdog: BUG: soft lockup - CPU#0 stuck
//!   for 22s! [insmod:1234]`, the module list, the task's CPU line, `RIP: 0010:function+off/size
//!   [module]` where it spins (sampled from the thread itself: a real-time signal whose handler
//!   records the interrupted RIP and RSP from its `ucontext` and returns), and a call trace from
//!   that RSP; taint `L`. As Linux's, the report repeats every 2 × `watchdog_thresh` seconds while
//!   the task stays stuck, with the growing duration. The sampling period is Linux's,
//!   `watchdog_thresh` × 2 / 5 seconds.
//! - **Hung task.** A task asleep in `TASK_UNINTERRUPTIBLE` (not killable, not `TASK_NOLOAD`) for
//!   `hung_task_timeout_secs` gets `INFO: task insmod:1234 blocked for more than 120 seconds.`,
//!   the tainted line, the hint how to disable it, `sched_show_task()`'s line and a call trace of
//!   module frames from the sleeping frame up; again every timeout while it stays blocked, at most
//!   `hung_task_warnings` times (-1: always). After an oops (taint `D`) there are no more hung-task
//!   reports, as in Linux.
//!
//! Thresholds are Linux's sysctls, in `/proc/sys/kernel/` (`views.rs`): `watchdog_thresh` (10,
//! 0..=60, 0 disables the soft-lockup detector), `softlockup_panic` (0 or 1),
//! `hung_task_timeout_secs` (120; 0 disables) and `hung_task_warnings` (10, -1 or more).
//! A spinning module cannot be stopped (it cannot in Linux either); `lkm halt` still ends the
//! kernel process, whose other request threads keep serving meanwhile.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use crate::kernel::{kernel, taint, UTS_RELEASE};
use crate::sched::{self, Task};
use crate::services::{func_export, ExportEntry};

/// `TAINT_SOFTLOCKUP` (`L`).
pub const TAINT_SOFTLOCKUP: u32 = 14;

static WATCHDOG_THRESH: AtomicI64 = AtomicI64::new(10);
static SOFTLOCKUP_PANIC: AtomicI64 = AtomicI64::new(0);
static HUNG_TASK_TIMEOUT_SECS: AtomicI64 = AtomicI64::new(120);
static HUNG_TASK_WARNINGS: AtomicI64 = AtomicI64::new(10);

/// One sysctl: its file name under `/proc/sys/kernel/`, its value and its accepted range.
struct Sysctl {
    name: &'static str,
    value: &'static AtomicI64,
    min: i64,
    max: i64,
}

const SYSCTLS: [Sysctl; 4] = [
    Sysctl {
        name: "hung_task_timeout_secs",
        value: &HUNG_TASK_TIMEOUT_SECS,
        min: 0,
        // LONG_MAX / HZ
        max: i64::MAX / sched::HZ as i64,
    },
    Sysctl {
        name: "hung_task_warnings",
        value: &HUNG_TASK_WARNINGS,
        min: -1,
        max: i32::MAX as i64,
    },
    Sysctl {
        name: "softlockup_panic",
        value: &SOFTLOCKUP_PANIC,
        min: 0,
        max: 1,
    },
    Sysctl {
        name: "watchdog_thresh",
        value: &WATCHDOG_THRESH,
        min: 0,
        max: 60,
    },
];

/// The sysctl files this area adds to `/proc/sys/kernel/`.
pub fn sysctl_names() -> impl Iterator<Item = &'static str> {
    SYSCTLS.iter().map(|s| s.name)
}

/// Reads `/proc/sys/kernel/<name>`, if it is one of this area's.
pub fn sysctl_read(name: &str) -> Option<String> {
    let s = SYSCTLS.iter().find(|s| s.name == name)?;
    Some(format!("{}\n", s.value.load(Ordering::Acquire)))
}

/// Writes `/proc/sys/kernel/<name>` as `proc_dointvec_minmax` / `proc_doulongvec_minmax` do: one
/// decimal integer, surrounding white space allowed; anything else or a value out of range is
/// `EINVAL`. `None` when the file is not one of this area's.
pub fn sysctl_write(name: &str, data: &[u8]) -> Option<Result<(), i32>> {
    let s = SYSCTLS.iter().find(|s| s.name == name)?;
    let text = String::from_utf8_lossy(data);
    let v = match text.trim().parse::<i64>() {
        Ok(v) if (s.min..=s.max).contains(&v) => v,
        _ => return Some(Err(libc::EINVAL)),
    };
    s.value.store(v, Ordering::Release);
    Some(Ok(()))
}

// ---------------------------------------------------------------------------------------------
// Sampling a thread's instruction pointer.

static SAMPLE_SEQ: AtomicU64 = AtomicU64::new(0);
static SAMPLE_TID: AtomicI32 = AtomicI32::new(0);
static SAMPLE_RIP: AtomicU64 = AtomicU64::new(0);
static SAMPLE_RSP: AtomicU64 = AtomicU64::new(0);

/// The real-time signal the watchdog samples with (glibc keeps the first ones for itself).
fn sample_signal() -> i32 {
    libc::SIGRTMIN() + 7
}

/// Records where the interrupted thread was and returns (async-signal-safe: atomics and gettid).
extern "C" fn sample_handler(_sig: i32, _info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    let uc = uctx as *const libc::ucontext_t;
    // SAFETY: the kernel hands an SA_SIGINFO handler a valid ucontext_t of the interrupted thread.
    let (rip, rsp) = unsafe {
        (
            (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] as u64,
            (*uc).uc_mcontext.gregs[libc::REG_RSP as usize] as u64,
        )
    };
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as i32;
    SAMPLE_TID.store(tid, Ordering::Relaxed);
    SAMPLE_RIP.store(rip, Ordering::Relaxed);
    SAMPLE_RSP.store(rsp, Ordering::Relaxed);
    SAMPLE_SEQ.fetch_add(1, Ordering::Release);
}

fn install_sampler() -> bool {
    // SAFETY: a zeroed sigaction is valid; the handler only touches atomics and calls gettid.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = sample_handler as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sample_signal(), &sa, std::ptr::null_mut()) == 0
    }
}

/// The RIP and RSP of the thread `tid`, interrupted by a signal (only the watchdog thread calls
/// this, one sample at a time).
fn sample(tid: i32) -> Option<(u64, u64)> {
    let before = SAMPLE_SEQ.load(Ordering::Acquire);
    // SAFETY: tgkill to a thread of this process; the handler is installed and harmless. A thread
    // that has exited meanwhile makes it fail with ESRCH.
    let r = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::getpid(),
            tid,
            sample_signal() as libc::c_long,
        )
    };
    if r != 0 {
        return None;
    }
    for _ in 0..200 {
        if SAMPLE_SEQ.load(Ordering::Acquire) != before && SAMPLE_TID.load(Ordering::Relaxed) == tid
        {
            return Some((
                SAMPLE_RIP.load(Ordering::Relaxed),
                SAMPLE_RSP.load(Ordering::Relaxed),
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Reports.

/// Return addresses into module text on the stack from `sp` up (at most `words` words), as the
/// unwinder's unreliable entries (`? function+off/size [module]`).
fn module_frames(sp: u64, words: usize) -> Vec<String> {
    let k = kernel();
    let mut out: Vec<String> = Vec::new();
    if sp == 0 {
        return out;
    }
    let sp = sp & !7;
    let mut buf = vec![0u8; words * 8];
    // The stack may end before `words`: read less until the copy succeeds.
    let mut n = words;
    while n > 0 && !crate::mem::read(sp, &mut buf[..n * 8]) {
        n /= 2;
    }
    for w in buf[..n * 8].chunks_exact(8) {
        let word = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        let in_text = k.module_at(word).is_some_and(|m| {
            m.regions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|r| r.text && word >= r.base && word < r.base + r.len)
        });
        if in_text && crate::oops::follows_call(word) {
            let line = format!(" ? {}", crate::oops::symbolize(word));
            if out.last() != Some(&line) {
                out.push(line);
            }
            if out.len() >= 16 {
                break;
            }
        }
    }
    out
}

/// `dump_stack()` for the current task from a host function module code called: the CPU line and
/// the module frames on the stack above this one (deeper than `oops::dump_stack`'s scan, which
/// the host's own frames can fill).
pub(crate) fn dump_stack_deep() {
    let k = kernel();
    let t = sched::current();
    k.printk(4, &cpu_line(&t));
    k.printk(4, "Hardware name: lkm sandbox");
    k.printk(4, "Call Trace:");
    k.printk(4, " <TASK>");
    let here = 0u64;
    for l in module_frames(std::hint::black_box(&here) as *const u64 as u64, 8192) {
        k.printk(4, &l);
    }
    k.printk(4, " </TASK>");
}

fn cpu_line(t: &Task) -> String {
    format!(
        "CPU: 0 UID: 0 PID: {} Comm: {} {} {UTS_RELEASE} #1",
        t.pid(),
        t.comm(),
        kernel().tainted_string()
    )
}

/// `watchdog_timer_fn`'s report for a task stuck `secs` seconds.
fn report_soft_lockup(t: &Task, secs: u64) {
    let k = kernel();
    let regs = sample(t.tid);
    let mut lines: Vec<(u8, String)> = vec![
        (
            0,
            format!(
                "watchdog: BUG: soft lockup - CPU#0 stuck for {secs}s! [{}:{}]",
                t.comm(),
                t.pid()
            ),
        ),
        (4, crate::oops::modules_linked_in()),
        (4, cpu_line(t)),
        (4, "Hardware name: lkm sandbox".to_string()),
    ];
    match regs {
        Some((rip, rsp)) => {
            lines.push((4, format!("RIP: 0010:{}", crate::oops::symbolize(rip))));
            lines.push((4, format!("RSP: 0018:{rsp:016x}")));
            lines.push((4, "Call Trace:".to_string()));
            lines.push((4, " <TASK>".to_string()));
            for l in module_frames(rsp, 1024) {
                lines.push((4, l));
            }
            lines.push((4, " </TASK>".to_string()));
        }
        None => lines.push((
            4,
            "RIP: 0010:0x0 (the thread could not be sampled)".to_string(),
        )),
    }
    for (level, l) in lines {
        k.printk(level, &l);
    }
    k.add_taint(TAINT_SOFTLOCKUP);
    if SOFTLOCKUP_PANIC.load(Ordering::Acquire) != 0 {
        k.printk(0, "Kernel panic - not syncing: softlockup: hung tasks");
        k.printk(
            0,
            "---[ end Kernel panic - not syncing: softlockup: hung tasks ]---",
        );
        std::process::exit(1);
    }
}

/// `hung_task_info`'s report for a task blocked `secs` seconds.
fn report_hung_task(t: &Task, secs: u64, sleep_sp: u64) {
    let k = kernel();
    let w = HUNG_TASK_WARNINGS.load(Ordering::Acquire);
    if w == 0 {
        return;
    }
    if w > 0 {
        HUNG_TASK_WARNINGS.store(w - 1, Ordering::Release);
    }
    k.printk(
        3,
        &format!(
            "INFO: task {}:{} blocked for more than {secs} seconds.",
            t.comm(),
            t.pid()
        ),
    );
    k.printk(3, &format!("      {} {UTS_RELEASE} #1", k.tainted_string()));
    k.printk(
        3,
        "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.",
    );
    // sched_show_task(): "task:%-15.15s state:%c stack:%-5lu pid:%-5d tgid:%-5d ppid:%-6d
    // flags:0x%08lx".
    let comm: String = t.comm().chars().take(15).collect();
    k.printk(
        6,
        &format!(
            "task:{comm:<15} state:D stack:0     pid:{:<5} tgid:{:<5} ppid:{:<6} flags:0x00004000",
            t.pid(),
            t.pid(),
            if t.kind == sched::TaskKind::Client {
                1
            } else {
                2
            }
        ),
    );
    k.printk(6, "Call Trace:");
    k.printk(6, " <TASK>");
    if let Some(s) = k.ksyms.get("schedule") {
        k.printk(6, &format!(" {}", crate::oops::symbolize(s.addr)));
    }
    for l in module_frames(sleep_sp, 8192) {
        k.printk(6, &l);
    }
    k.printk(6, " </TASK>");
    if w == 1 {
        k.printk(
            6,
            "Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The detector thread.

/// Per task: when its soft lockup was last reported, and its hung sleep last reported.
#[derive(Default)]
struct Seen {
    soft_report: u64,
    hung_sleep: u64,
    hung_report: u64,
}

fn check(seen: &mut HashMap<u64, Seen>, soft_due: bool) {
    let now = sched::now_ms() + 1;
    let thresh = WATCHDOG_THRESH.load(Ordering::Acquire).max(0) as u64;
    let hung = HUNG_TASK_TIMEOUT_SECS.load(Ordering::Acquire).max(0) as u64;
    let tasks = sched::tasks();
    seen.retain(|addr, _| tasks.iter().any(|t| t.addr() == *addr));
    for t in &tasks {
        let w = t.watch();
        let s = seen.entry(t.addr()).or_default();
        // Soft lockup: inside module code, running, untouched for 2 × thresh.
        if soft_due && thresh > 0 && w.in_module > 0 && w.sleep_since == 0 && w.touched != 0 {
            let period = w.touched.max(s.soft_report);
            if now.saturating_sub(period) > 2 * thresh * 1000 {
                s.soft_report = now;
                report_soft_lockup(t, now.saturating_sub(w.touched) / 1000);
                continue;
            }
        }
        // Hung task: asleep in TASK_UNINTERRUPTIBLE (not killable, not idle) for the timeout.
        let d_state = w.sleep_state & sched::TASK_UNINTERRUPTIBLE != 0
            && w.sleep_state & (sched::TASK_WAKEKILL | sched::TASK_NOLOAD) == 0;
        if hung == 0 || w.sleep_since == 0 || !d_state {
            continue;
        }
        if s.hung_sleep != w.sleep_since {
            s.hung_sleep = w.sleep_since;
            s.hung_report = w.sleep_since;
        }
        if now.saturating_sub(s.hung_report) >= hung * 1000
            && !kernel().test_taint(taint::DIE)
            && t.watch().sleep_since == w.sleep_since
        {
            s.hung_report = now;
            report_hung_task(t, now.saturating_sub(w.sleep_since) / 1000, w.sleep_sp);
        }
    }
}

/// Starts the detectors (from `kernel::boot`).
pub fn start() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        if !install_sampler() {
            kernel().printk(
                4,
                "watchdog: cannot install the sampling signal; soft-lockup RIPs are not shown",
            );
        }
        let _ = std::thread::Builder::new()
            .name("khungtaskd".into())
            .spawn(|| {
                let mut seen = HashMap::new();
                let mut last_soft = 0u64;
                loop {
                    std::thread::sleep(Duration::from_millis(100));
                    // The soft-lockup sample period: watchdog_thresh × 2 / 5 seconds.
                    let thresh = WATCHDOG_THRESH.load(Ordering::Acquire).max(0) as u64;
                    let period = (thresh * 2000 / 5).max(100);
                    let now = sched::now_ms();
                    let soft_due = now.saturating_sub(last_soft) >= period;
                    if soft_due {
                        last_soft = now;
                    }
                    check(&mut seen, soft_due);
                }
            });
    });
}

/// `touch_softlockup_watchdog()` and its variants (`touch_nmi_watchdog()` is an inline over it).
pub extern "C" fn touch_softlockup_watchdog() {
    sched::touch_softlockup_watchdog();
}

/// `touch_all_softlockup_watchdogs()`: every task.
pub extern "C" fn touch_all_softlockup_watchdogs() {
    for t in sched::tasks() {
        t.touch();
    }
}

pub fn exports() -> Vec<ExportEntry> {
    vec![
        func_export(
            "touch_softlockup_watchdog",
            touch_softlockup_watchdog as *const () as usize,
        ),
        func_export(
            "touch_softlockup_watchdog_sched",
            touch_softlockup_watchdog as *const () as usize,
        ),
        func_export(
            "touch_all_softlockup_watchdogs",
            touch_all_softlockup_watchdogs as *const () as usize,
        ),
    ]
}
