//! Tasks and execution contexts: the core that kthreads, work queues, timers, wait queues and locks
//! build on.
//!
//! Every host thread that runs module code is a *task*: it has a `struct task_struct` (lkm's layout,
//! docs/SDK-ABI.md) that module code reaches through `current` (`get_current()`), a state
//! (`TASK_RUNNING`, `TASK_INTERRUPTIBLE`, …) that `set_current_state()` writes, and a wake-up token:
//! `schedule()` sleeps while the state is not running and no wake-up came; `wake_up_process()` makes
//! it running and hands it the token. This is the kernel's "set state, check condition, schedule"
//! protocol, so the lost-wake-up race is closed the same way.
//!
//! The context: a per-thread `preempt_count` with the kernel's bit layout (preemption, softirq,
//! hardirq), so `in_interrupt()`, `in_atomic()` and sleeping-in-atomic checks mean what they mean in
//! Linux.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The kernel's tick rate (`CONFIG_HZ`); `jiffies` advance this many times a second.
pub const HZ: u64 = 250;

/// A number of jiffies as a host duration.
pub fn jiffies_to_duration(j: u64) -> Duration {
    Duration::from_nanos(j.saturating_mul(1_000_000_000 / HZ))
}

/// A duration in jiffies, rounded up (a sleep never ends early).
pub fn duration_to_jiffies_ceil(d: Duration) -> u64 {
    let tick = 1_000_000_000 / HZ as u128;
    (d.as_nanos().div_ceil(tick)).min(u64::MAX as u128) as u64
}

pub const TASK_RUNNING: u32 = 0x0000;
pub const TASK_INTERRUPTIBLE: u32 = 0x0001;
pub const TASK_UNINTERRUPTIBLE: u32 = 0x0002;
pub const TASK_DEAD: u32 = 0x0080;
pub const TASK_WAKEKILL: u32 = 0x0100;
pub const TASK_NOLOAD: u32 = 0x0400;
pub const TASK_KILLABLE: u32 = TASK_WAKEKILL | TASK_UNINTERRUPTIBLE;
pub const TASK_IDLE: u32 = TASK_UNINTERRUPTIBLE | TASK_NOLOAD;

/// `PF_KTHREAD`: the task is a kernel thread.
pub const PF_KTHREAD: u32 = 0x0020_0000;

/// `preempt_count` layout (include/linux/preempt.h).
pub const PREEMPT_OFFSET: u32 = 1;
pub const SOFTIRQ_OFFSET: u32 = 1 << 8;
pub const HARDIRQ_OFFSET: u32 = 1 << 16;
pub const NMI_OFFSET: u32 = 1 << 20;
pub const SOFTIRQ_MASK: u32 = 0xff << 8;
pub const HARDIRQ_MASK: u32 = 0xf << 16;
pub const NMI_MASK: u32 = 0xf << 20;

/// lkm's `struct task_struct`: what module code may read and write directly. 128 bytes.
#[repr(C)]
pub struct TaskStruct {
    /// `__state`: written by `set_current_state()` in module code.
    pub state: AtomicU32,
    /// `PF_*` flags.
    pub flags: AtomicU32,
    pub pid: AtomicI32,
    pub tgid: AtomicI32,
    /// `comm[TASK_COMM_LEN]`, NUL-terminated.
    pub comm: [AtomicU8; 16],
    /// `stack`: unused, present for source compatibility.
    pub stack: u64,
    /// `blocked` (`sigset_t`): nothing is ever blocked in the kernel's view of a client here; the
    /// FUSE front reports only signals the caller does not block.
    pub blocked: AtomicU64,
    /// `pending.list` (`struct sigpending`): empty (points to itself).
    pending_list: [u64; 2],
    /// `pending.signal.sig[0]`: bit `n - 1` for a pending signal `n`, mirrored from
    /// [`Task::raise_signals`] (a dead client is `SIGKILL`).
    pub pending_signal: AtomicU64,
    reserved: [u64; 7],
}

const _: () = assert!(std::mem::size_of::<TaskStruct>() == 128);

/// What a task is, for reports and `ps`-like views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// A thread serving a client's request: the context of that process's system call.
    Client,
    /// A `kthread_create`d thread.
    Kthread,
    /// A work-queue worker (`kworker/…`).
    Worker,
    /// The softirq thread that runs timers and tasklets.
    Softirq,
}

/// A task: the `task_struct` module code sees, and the host's side of it.
pub struct Task {
    ts: Box<TaskStruct>,
    pub kind: TaskKind,
    woken: Mutex<bool>,
    wake: Condvar,
    /// A signal is pending (`signal_pending()`): a client that went away, or `kthread_stop` of an
    /// interruptible sleeper... set by the owner of the task.
    pub sigpending: AtomicBool,
    /// The host thread's id (the lockup detector samples a spinning thread's RIP with a signal).
    pub tid: i32,
    /// The lockup detectors' view of the task ([`Task::watch`]).
    watch: WatchState,
}

/// What the lockup detectors (`services/watchdog.rs`) read of a task. Times are [`now_ms`] + 1
/// (0 = never / not sleeping).
#[derive(Default)]
struct WatchState {
    /// Last `touch_softlockup_watchdog()`: a schedule, a sleep, a `cond_resched()`, a return from
    /// module code.
    touched: AtomicU64,
    /// Guarded calls into module code active on this task.
    in_module: AtomicU32,
    /// When the current sleep or blocking wait began.
    sleep_since: AtomicU64,
    /// The task's state during that sleep.
    sleep_state: AtomicU32,
    /// A stack address of the sleeping frame (the hung-task report scans the stack from there).
    sleep_sp: AtomicU64,
}

/// A snapshot of a task's watchdog fields.
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    /// Last touch, [`now_ms`] + 1 (0: never).
    pub touched: u64,
    pub in_module: u32,
    /// Start of the current sleep, [`now_ms`] + 1 (0: not sleeping).
    pub sleep_since: u64,
    pub sleep_state: u32,
    pub sleep_sp: u64,
}

/// Milliseconds on the host's monotonic clock since the first call (the watchdogs' clock).
pub fn now_ms() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    BASE.get_or_init(Instant::now).elapsed().as_millis() as u64
}

impl Task {
    fn new(kind: TaskKind, pid: i32, comm: &str) -> Arc<Task> {
        let mut ts = Box::new(TaskStruct {
            state: AtomicU32::new(TASK_RUNNING),
            flags: AtomicU32::new(if kind == TaskKind::Client {
                0
            } else {
                PF_KTHREAD
            }),
            pid: AtomicI32::new(pid),
            tgid: AtomicI32::new(pid),
            comm: Default::default(),
            stack: 0,
            blocked: AtomicU64::new(0),
            pending_list: [0; 2],
            pending_signal: AtomicU64::new(0),
            reserved: [0; 7],
        });
        // An empty list_head points to itself (the Box keeps its address).
        let list = std::ptr::addr_of!(ts.pending_list) as u64;
        ts.pending_list = [list, list];
        store_comm(&ts.comm, comm);
        let t = Arc::new(Task {
            ts,
            kind,
            woken: Mutex::new(false),
            wake: Condvar::new(),
            sigpending: AtomicBool::new(false),
            // SAFETY: gettid has no preconditions; Task::new runs on the task's own thread.
            tid: unsafe { libc::syscall(libc::SYS_gettid) } as i32,
            watch: WatchState::default(),
        });
        t.touch();
        registry()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(t.addr(), Arc::downgrade(&t));
        t
    }

    /// The address module code knows this task by.
    pub fn addr(&self) -> u64 {
        &*self.ts as *const TaskStruct as u64
    }

    pub fn pid(&self) -> i32 {
        self.ts.pid.load(Ordering::Relaxed)
    }

    pub fn comm(&self) -> String {
        let c: Vec<u8> = self
            .ts
            .comm
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let end = c.iter().position(|&b| b == 0).unwrap_or(16);
        String::from_utf8_lossy(&c[..end]).into_owned()
    }

    pub fn state(&self) -> u32 {
        self.ts.state.load(Ordering::Acquire)
    }

    pub fn set_state(&self, s: u32) {
        self.ts.state.store(s, Ordering::Release);
    }

    /// `signal_wake_up`: signals `mask` (bit `n - 1` for signal `n`) are pending for the task; its
    /// interruptible and killable sleeps end.
    pub fn raise_signals(&self, mask: u64) {
        self.ts.pending_signal.fetch_or(mask, Ordering::SeqCst);
        self.sigpending.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// The task's signals are handled (its request ended): none pending.
    pub fn clear_signals(&self) {
        self.sigpending.store(false, Ordering::Release);
        self.ts.pending_signal.store(0, Ordering::Release);
    }

    /// `wake_up_process` / `try_to_wake_up`: true if the task was sleeping (not running).
    pub fn wake(&self) -> bool {
        let was = self.ts.state.swap(TASK_RUNNING, Ordering::AcqRel);
        let mut w = self.woken.lock().unwrap_or_else(|e| e.into_inner());
        *w = true;
        self.wake.notify_all();
        was != TASK_RUNNING
    }

    /// `touch_softlockup_watchdog()` for this task.
    pub fn touch(&self) {
        self.watch.touched.store(now_ms() + 1, Ordering::Relaxed);
    }

    /// The watchdog fields.
    pub fn watch(&self) -> Watch {
        let w = &self.watch;
        Watch {
            touched: w.touched.load(Ordering::Relaxed),
            in_module: w.in_module.load(Ordering::Acquire),
            sleep_since: w.sleep_since.load(Ordering::Acquire),
            sleep_state: w.sleep_state.load(Ordering::Relaxed),
            sleep_sp: w.sleep_sp.load(Ordering::Relaxed),
        }
    }

    /// Marks the task as sleeping in `state` until the returned guard drops (a host-side wait the
    /// kernel would do in that state: `kthread_stop`, `flush_work`, …). Call on the task's thread.
    pub fn blocked(self: &Arc<Self>, state: u32) -> Blocked {
        let marker = 0u8;
        let w = &self.watch;
        let prev = (
            w.sleep_since.load(Ordering::Relaxed),
            w.sleep_state.load(Ordering::Relaxed),
            w.sleep_sp.load(Ordering::Relaxed),
        );
        self.touch();
        if prev.0 == 0 {
            w.sleep_state.store(state, Ordering::Relaxed);
            w.sleep_sp.store(
                std::hint::black_box(&marker) as *const u8 as u64,
                Ordering::Relaxed,
            );
            w.sleep_since.store(now_ms() + 1, Ordering::Release);
        }
        Blocked {
            task: self.clone(),
            prev,
        }
    }

    /// Sleeps until woken, or until `timeout` passes, if the task's state says to sleep. Returns the
    /// time left (zero when the timeout expired).
    pub fn sleep(self: &Arc<Self>, timeout: Option<Duration>) -> Duration {
        let _blocked = self.blocked(self.state());
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut w = self.woken.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if *w || self.state() == TASK_RUNNING {
                break;
            }
            if self.state() & TASK_INTERRUPTIBLE != 0 && self.sigpending.load(Ordering::Acquire) {
                break;
            }
            match deadline {
                None => w = self.wake.wait(w).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break;
                    }
                    w = self
                        .wake
                        .wait_timeout(w, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        *w = false;
        drop(w);
        self.set_state(TASK_RUNNING);
        deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::MAX)
    }
}

/// A task marked as sleeping ([`Task::blocked`]); dropping it marks the end of the sleep (a
/// watchdog touch).
pub struct Blocked {
    task: Arc<Task>,
    prev: (u64, u32, u64),
}

impl Drop for Blocked {
    fn drop(&mut self) {
        let w = &self.task.watch;
        if self.prev.0 == 0 {
            w.sleep_since.store(0, Ordering::Release);
        }
        self.task.touch();
    }
}

/// Marks the current task as sleeping in `state` while the guard lives (see [`Task::blocked`]).
pub fn blocked(state: u32) -> Blocked {
    current().blocked(state)
}

/// A guarded call into module code is running on the current task (see [`enter_module`]).
pub struct InModule(Arc<Task>);

impl Drop for InModule {
    fn drop(&mut self) {
        self.0.watch.in_module.fetch_sub(1, Ordering::AcqRel);
        self.0.touch();
    }
}

/// Counts a guarded call into module code on the current task until the guard drops; entering and
/// leaving touch the soft-lockup watchdog (a return to the kernel is a scheduling point).
pub fn enter_module() -> InModule {
    let t = current();
    t.touch();
    t.watch.in_module.fetch_add(1, Ordering::AcqRel);
    InModule(t)
}

/// `touch_softlockup_watchdog()`: the current task is making progress.
pub fn touch_softlockup_watchdog() {
    CURRENT.with(|c| {
        if let Some(t) = c.borrow().as_ref() {
            t.touch();
        }
    });
}

/// Every live task (for the lockup detectors).
pub fn tasks() -> Vec<Arc<Task>> {
    registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .filter_map(|w| w.upgrade())
        .collect()
}

impl Drop for Task {
    fn drop(&mut self) {
        let addr = self.addr();
        if let Ok(mut r) = registry().lock() {
            r.remove(&addr);
        }
    }
}

fn registry() -> &'static Mutex<HashMap<u64, std::sync::Weak<Task>>> {
    static R: OnceLock<Mutex<HashMap<u64, std::sync::Weak<Task>>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// The task whose `task_struct` is at `addr`.
pub fn task_by_addr(addr: u64) -> Option<Arc<Task>> {
    registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&addr)
        .and_then(|w| w.upgrade())
}

/// Kernel-thread pids count up from here (the kernel's own threads are the low pids).
static NEXT_PID: AtomicI32 = AtomicI32::new(100);

pub fn alloc_pid() -> i32 {
    NEXT_PID.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Task>>> = const { RefCell::new(None) };
    static PREEMPT_COUNT: Cell<u32> = const { Cell::new(0) };
}

/// Makes this thread a task of `kind` (a kthread, worker or the softirq thread calls this first).
pub fn become_task(kind: TaskKind, pid: i32, comm: &str) -> Arc<Task> {
    let t = Task::new(kind, pid, comm);
    CURRENT.with(|c| *c.borrow_mut() = Some(t.clone()));
    t
}

/// `current`: this thread's task; a thread that is not one yet becomes a client task named after
/// the thread.
pub fn current() -> Arc<Task> {
    CURRENT.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| {
                let mut buf = [0u8; 17];
                // SAFETY: PR_GET_NAME writes at most 16 bytes and a NUL into `buf`.
                unsafe { libc::prctl(libc::PR_GET_NAME, buf.as_mut_ptr()) };
                let end = buf.iter().position(|&b| b == 0).unwrap_or(16);
                Task::new(
                    TaskKind::Client,
                    alloc_pid(),
                    &String::from_utf8_lossy(&buf[..end]),
                )
            })
            .clone()
    })
}

/// Renames and re-numbers the current (client) task: the server does this per request, so a
/// module sees the requesting process's pid and command name, as in a system call.
pub fn set_current_identity(pid: i32, comm: &str) {
    let t = current();
    t.ts.pid.store(pid, Ordering::Relaxed);
    t.ts.tgid.store(pid, Ordering::Relaxed);
    store_comm(&t.ts.comm, comm);
}

/// Writes a name into `comm`, truncated to 15 bytes and NUL-padded (`set_task_comm`).
fn store_comm(dst: &[AtomicU8; 16], comm: &str) {
    let b = comm.as_bytes();
    for (i, slot) in dst.iter().enumerate() {
        slot.store(
            if i < 15 {
                b.get(i).copied().unwrap_or(0)
            } else {
                0
            },
            Ordering::Relaxed,
        );
    }
}

pub fn preempt_count() -> u32 {
    PREEMPT_COUNT.with(|p| p.get())
}

pub fn preempt_count_add(n: u32) {
    PREEMPT_COUNT.with(|p| p.set(p.get().wrapping_add(n)));
}

pub fn preempt_count_sub(n: u32) {
    PREEMPT_COUNT.with(|p| p.set(p.get().wrapping_sub(n)));
}

/// `in_interrupt()`: hardirq, softirq or NMI context (or softirqs disabled).
pub fn in_interrupt() -> bool {
    preempt_count() & (HARDIRQ_MASK | SOFTIRQ_MASK | NMI_MASK) != 0
}

/// `in_atomic()`: sleeping is not allowed.
pub fn in_atomic() -> bool {
    preempt_count() != 0
}

/// `schedule()`: sleeps if the current task's state is not running, until woken.
pub fn schedule() {
    let t = current();
    if t.state() == TASK_RUNNING {
        t.touch();
        std::thread::yield_now();
        return;
    }
    t.sleep(None);
}

/// `schedule_timeout()` with a host duration; returns the time left.
pub fn schedule_timeout(timeout: Duration) -> Duration {
    let t = current();
    if t.state() == TASK_RUNNING {
        t.touch();
        std::thread::yield_now();
        return timeout;
    }
    t.sleep(Some(timeout))
}
