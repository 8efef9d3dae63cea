//! Signals to callers blocked in drivers.
//!
//! FUSE tells a filesystem of a signal with an `INTERRUPT` request, but fuser answers those itself
//! (`ENOSYS`), after which the kernel keeps the caller waiting with the signal pending. The pending
//! signal is visible in `/proc/<tid>/status` (`SigPnd`, `ShdPnd`, less `SigBlk`; signals the
//! process ignores are never queued), so a watcher thread reads it for every request whose task
//! sleeps and, as `signal_wake_up` does, marks the task's signal pending and wakes it: the driver's
//! `wait_event_interruptible()` returns `-ERESTARTSYS`, which the caller gets as `EINTR` (or dies
//! of the signal).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use lkm_sandbox::sched::{self, Task};

/// How often sleeping requests are checked.
const PERIOD: Duration = Duration::from_millis(10);

/// A request in progress: its task and the calling thread's id.
struct InFlight {
    task: Arc<Task>,
    tid: u32,
}

fn in_flight() -> &'static Mutex<HashMap<u64, InFlight>> {
    static M: OnceLock<Mutex<HashMap<u64, InFlight>>> = OnceLock::new();
    M.get_or_init(|| {
        let _ = std::thread::Builder::new()
            .name("lkm-fuse-sig".into())
            .spawn(watch);
        Default::default()
    })
}

/// A request being served: the caller's signals reach its task until this drops.
pub struct Serving {
    key: u64,
    task: Arc<Task>,
}

impl Serving {
    /// The current thread starts serving a request of thread `tid`.
    pub fn begin(tid: u32) -> Serving {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let key = NEXT.fetch_add(1, Ordering::Relaxed);
        let task = sched::current();
        task.clear_signals();
        in_flight()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                key,
                InFlight {
                    task: task.clone(),
                    tid,
                },
            );
        Serving { key, task }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        in_flight()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
        self.task.clear_signals();
    }
}

fn watch() {
    loop {
        std::thread::sleep(PERIOD);
        let sleeping: Vec<(Arc<Task>, u32)> = in_flight()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|r| {
                r.task.watch().sleep_since != 0 && !r.task.sigpending.load(Ordering::Acquire)
            })
            .map(|r| (r.task.clone(), r.tid))
            .collect();
        for (task, tid) in sleeping {
            let pending = signal_pending(tid);
            if pending != 0 {
                task.raise_signals(pending);
            }
        }
    }
}

/// The signals thread `tid` has pending and does not block (bit `n - 1` for signal `n`). A thread
/// that is gone has none (its request is answered into the void).
fn signal_pending(tid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{tid}/status"))
        .map(|s| pending_in_status(&s))
        .unwrap_or(0)
}

/// Reads `SigPnd`, `ShdPnd` and `SigBlk` of a `/proc/<pid>/status` text.
fn pending_in_status(status: &str) -> u64 {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0)
    };
    const SIGKILL: u64 = 1 << (libc::SIGKILL - 1);
    let pending = field("SigPnd:") | field("ShdPnd:");
    pending & (!field("SigBlk:") | SIGKILL)
}

#[cfg(test)]
mod tests {
    use super::pending_in_status;

    #[test]
    fn pending_signals_are_those_not_blocked() {
        let st = |pnd: &str, shd: &str, blk: &str| {
            format!("Name:\tcat\nSigQ:\t0/1\nSigPnd:\t{pnd}\nShdPnd:\t{shd}\nSigBlk:\t{blk}\nSigIgn:\t0\n")
        };
        let zero = "0000000000000000";
        assert_eq!(pending_in_status(&st(zero, zero, "0")), 0);
        // SIGINT (2) pending for the process.
        assert_eq!(pending_in_status(&st(zero, "0000000000000002", "0")), 2);
        // ... but blocked.
        assert_eq!(pending_in_status(&st(zero, "2", "0000000000000002")), 0);
        // SIGKILL cannot be blocked.
        assert_eq!(
            pending_in_status(&st("100", "0", "ffffffffffffffff")),
            0x100
        );
        assert_eq!(pending_in_status("garbage"), 0);
    }
}
