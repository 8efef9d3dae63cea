//! Kernel services: time. `jiffies`, delays and sleeps, ktime and timespec64 clocks, timers
//! (`struct timer_list`) and tasklets, and the softirq thread that runs both.
//!
//! # The clock
//! `jiffies` and `jiffies_64` are data exports in the arena's kernel-data block (modules read them
//! with PC32 relocations, no call). A host *tick thread* (`lkm-tick`, started by
//! [`crate::kernel::boot`]) stores `INITIAL_JIFFIES + (time since boot) / (1 s / HZ)` into both at
//! every tick boundary, HZ = 250 ([`crate::sched::HZ`]). `INITIAL_JIFFIES` is Linux's
//! `(unsigned long)(unsigned int)(-300 * HZ)` = 4294892296: the low 32 bits wrap five minutes after
//! boot, as on Linux, so code that keeps jiffies in 32 bits meets the wrap early. `ktime_get()`
//! (CLOCK_MONOTONIC) counts nanoseconds since the sandbox booted, so `jiffies` and `ktime_get()` agree;
//! `ktime_get_real()` is the host's CLOCK_REALTIME.
//!
//! # The softirq thread
//! One host thread, `ksoftirqd/0` (a [`TaskKind::Softirq`] task, pid [`KSOFTIRQD_PID`]), runs every
//! timer callback and tasklet, in this order per round as Linux's softirq vectors: high-priority
//! tasklets, expired timers, tasklets. Each module callback runs with `SOFTIRQ_OFFSET` added to the
//! preemption count (so `in_interrupt()`/`in_softirq()` are true, `in_task()` false) and through the
//! guard: a faulting callback gets an oops report (context `run_timer_softirq` or
//! `tasklet_action`), the kernel is tainted D, and the thread goes on with the next callback. A
//! callback that leaves the preemption count changed gets the kernel's `preempt leak` warning and
//! the count restored. The tick thread raises the softirq when the earliest pending timer is due,
//! so a timer runs in the tick where `jiffies` reaches its `expires` (or the next one).
//!
//! # The timer list
//! Pending timers are kept on the host, keyed by the address of the `struct timer_list` (layout in
//! docs/SDK-ABI.md); `entry.pprev` in module memory is kept non-NULL while pending, so the header's
//! `timer_pending()` reads it as Linux's does. `function` is read when the timer fires. The
//! `struct tasklet_struct` `state` and `count` fields are mirrored the same way; the host's copy is
//! authoritative (scheduling, enabling and disabling are calls).
//!
//! # Rust API for other services (work queues' delayed work)
//! [`add_host_timer`] runs a Rust closure on the softirq thread (in softirq context) once
//! `jiffies` reaches a deadline; [`cancel_host_timer`] / [`cancel_host_timer_sync`] take it back;
//! [`jiffies`] reads the clock, [`on_softirq_thread`] tells whether the caller is the softirq thread.
//!
//! # Unloading
//! [`module_unloading`] (called by the loader before a module's memory goes) deletes the module's
//! pending timers and scheduled tasklets (struct or callback inside the module), one warning line
//! each naming the callback (`lkm: <m>: timer <fn> still pending at unload: deleted`, `… tasklet
//! <fn> still scheduled at unload: killed`), and waits for a running one to finish (and deletes it
//! again if it re-armed itself), so the sandbox never runs code of an unloaded module.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, LazyLock, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::kernel::{kernel, Module};
use crate::sched::{self, TaskKind, HZ, SOFTIRQ_OFFSET};
use crate::services::task::{__lkm_signal_pending, get_current, schedule_timeout};
use crate::services::{data_export, func_export, ExportEntry};
use crate::{guard, mem, oops};

/// Linux's `INITIAL_JIFFIES`: `(unsigned long)(unsigned int)(-300 * HZ)`.
pub const INITIAL_JIFFIES: u64 = (-300i64 * HZ as i64) as u32 as u64;
/// `MAX_JIFFY_OFFSET`: `((LONG_MAX >> 1) - 1)`.
pub const MAX_JIFFY_OFFSET: u64 = ((i64::MAX >> 1) - 1) as u64;
/// The pid of `ksoftirqd/0` (kernel threads' pids are low on Linux; kthreads count from 100).
pub const KSOFTIRQD_PID: i32 = 15;

const TICK_NS: u64 = 1_000_000_000 / HZ;
const NSEC_PER_SEC: i64 = 1_000_000_000;

// ---------------------------------------------------------------------------------------------
// The clock.

static JIFFIES_ADDR: AtomicUsize = AtomicUsize::new(0);
static JIFFIES_64_ADDR: AtomicUsize = AtomicUsize::new(0);
static BOOT: OnceLock<Instant> = OnceLock::new();

fn boot_instant() -> Instant {
    *BOOT.get_or_init(|| {
        if crate::kernel::booted() {
            kernel().boot
        } else {
            Instant::now()
        }
    })
}

/// Time since the sandbox booted (CLOCK_MONOTONIC and CLOCK_BOOTTIME).
pub fn uptime() -> Duration {
    boot_instant().elapsed()
}

fn jiffies_from_clock() -> u64 {
    INITIAL_JIFFIES + (uptime().as_nanos() / TICK_NS as u128) as u64
}

fn cell(addr: usize) -> Option<&'static AtomicU64> {
    // SAFETY: a nonzero address is that of an 8-byte, 16-aligned data export in the arena's
    // kernel-data block, which stays mapped read-write for the life of the process.
    (addr != 0).then(|| unsafe { &*(addr as *const AtomicU64) })
}

/// `jiffies` as modules see it (the tick thread's last store), or from the clock before the tick
/// thread runs.
pub fn jiffies() -> u64 {
    match cell(JIFFIES_64_ADDR.load(Ordering::Acquire)) {
        Some(c) => c.load(Ordering::Acquire),
        None => jiffies_from_clock(),
    }
}

/// The earliest due jiffy of a pending timer (`u64::MAX` when none): the tick thread raises the
/// softirq once `jiffies` reaches it.
static NEXT_DUE: AtomicU64 = AtomicU64::new(u64::MAX);

/// Starts the tick thread and the softirq thread (once; [`crate::kernel::boot`] calls this).
pub fn start() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let k = kernel();
        boot_instant();
        if let (Some(j), Some(j64)) = (k.ksyms.get("jiffies"), k.ksyms.get("jiffies_64")) {
            JIFFIES_ADDR.store(j.addr as usize, Ordering::Release);
            JIFFIES_64_ADDR.store(j64.addr as usize, Ordering::Release);
        }
        store_jiffies(jiffies_from_clock());
        let _ = std::thread::Builder::new()
            .name("lkm-tick".into())
            .spawn(tick_thread);
        let _ = std::thread::Builder::new()
            .name("ksoftirqd/0".into())
            .spawn(softirq_thread);
    });
}

fn store_jiffies(j: u64) {
    for a in [&JIFFIES_ADDR, &JIFFIES_64_ADDR] {
        if let Some(c) = cell(a.load(Ordering::Acquire)) {
            c.store(j, Ordering::Release);
        }
    }
}

fn tick_thread() {
    let boot = boot_instant();
    loop {
        let ticks = (boot.elapsed().as_nanos() / TICK_NS as u128) as u64;
        let j = INITIAL_JIFFIES + ticks;
        store_jiffies(j);
        if NEXT_DUE.load(Ordering::Acquire) <= j {
            raise();
        }
        let next = boot + Duration::from_nanos((ticks + 1) * TICK_NS);
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The softirq state: pending timers, host timers, tasklets.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    /// A module's `struct timer_list` at this address.
    Timer(u64),
    /// A host closure ([`add_host_timer`]).
    Host(u64),
}

#[derive(Debug, Default)]
struct Tasklet {
    /// `TASKLET_STATE_SCHED`.
    sched: bool,
    /// `TASKLET_STATE_RUN`.
    running: bool,
    /// Disable count.
    count: i32,
    /// In a run queue (a scheduled tasklet found disabled leaves it until enabled).
    queued: bool,
    /// Scheduled with `tasklet_hi_schedule`.
    hi: bool,
}

/// What the softirq thread is running now.
#[derive(Debug, Clone, Copy)]
struct Running {
    key: RunKey,
    /// The module function called (0 for a host closure).
    func: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKey {
    Timer(Key),
    Tasklet(u64),
}

type HostFn = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    /// Pending timers by (due jiffy, sequence).
    timers: BTreeMap<(u64, u64), Key>,
    index: HashMap<Key, (u64, u64)>,
    closures: HashMap<u64, HostFn>,
    seq: u64,
    tasklets: HashMap<u64, Tasklet>,
    queue: VecDeque<u64>,
    hi_queue: VecDeque<u64>,
    running: Option<Running>,
    raised: bool,
}

struct Softirq {
    st: Mutex<State>,
    /// The softirq thread waits here for `raised`.
    work: Condvar,
    /// Waiters for a running callback to finish (`del_timer_sync`, `tasklet_kill`, unloading).
    done: Condvar,
}

static SOFTIRQ: LazyLock<Softirq> = LazyLock::new(|| Softirq {
    st: Mutex::new(State::default()),
    work: Condvar::new(),
    done: Condvar::new(),
});

static SOFTIRQ_THREAD: OnceLock<std::thread::ThreadId> = OnceLock::new();

fn lock() -> MutexGuard<'static, State> {
    SOFTIRQ.st.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the caller is the softirq thread (a callback waiting for itself would never return).
pub fn on_softirq_thread() -> bool {
    SOFTIRQ_THREAD.get() == Some(&std::thread::current().id())
}

/// `raise_softirq`: wakes the softirq thread.
fn raise() {
    let mut st = lock();
    raise_locked(&mut st);
}

fn raise_locked(st: &mut State) {
    st.raised = true;
    SOFTIRQ.work.notify_one();
}

fn update_next_due(st: &State) {
    let due = st.timers.keys().next().map(|&(d, _)| d).unwrap_or(u64::MAX);
    NEXT_DUE.store(due, Ordering::Release);
}

/// Waits (releasing the lock) while `busy` holds for the running callback, unless the caller is
/// the softirq thread itself.
fn wait_while(
    mut st: MutexGuard<'static, State>,
    busy: impl Fn(&Running) -> bool,
) -> MutexGuard<'static, State> {
    if on_softirq_thread() {
        return st;
    }
    while st.running.as_ref().is_some_and(&busy) {
        st = SOFTIRQ.done.wait(st).unwrap_or_else(|e| e.into_inner());
    }
    st
}

fn softirq_thread() {
    let _ = SOFTIRQ_THREAD.set(std::thread::current().id());
    sched::become_task(TaskKind::Softirq, KSOFTIRQD_PID, "ksoftirqd/0");
    guard::thread_init();
    loop {
        {
            let mut st = lock();
            while !st.raised {
                st = SOFTIRQ.work.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            st.raised = false;
        }
        run_tasklets(true);
        run_timers();
        run_tasklets(false);
    }
}

/// Calls a module callback in softirq context, through the guard.
fn call_in_softirq(func: u64, arg: u64, what: &str, context: &str) {
    let before = sched::preempt_count();
    sched::preempt_count_add(SOFTIRQ_OFFSET);
    // SAFETY: `func` is a callback a module registered (`void (*)(struct timer_list *)` or a
    // tasklet function), read from its structure; the module is loaded (unloading waits for a
    // running callback and removes pending ones first). The guard catches faults inside it.
    let r = unsafe { guard::call(func, &[arg]) };
    let after = sched::preempt_count();
    let want = before.wrapping_add(SOFTIRQ_OFFSET);
    if after != want {
        kernel().printk(
            4,
            &format!(
                "{what}: {} preempt leak: {want:08x} -> {after:08x}",
                oops::symbolize(func)
            ),
        );
        sched::preempt_count_sub(after.wrapping_sub(want));
    }
    sched::preempt_count_sub(SOFTIRQ_OFFSET);
    if let Err(fault) = r {
        oops::report(&fault, context);
    }
}

fn run_timers() {
    loop {
        let now = jiffies();
        let mut st = lock();
        let Some((&(due, seq), &key)) = st.timers.iter().next() else {
            break;
        };
        if due > now {
            break;
        }
        st.timers.remove(&(due, seq));
        st.index.remove(&key);
        update_next_due(&st);
        match key {
            Key::Timer(addr) => {
                // detach_timer: no longer pending once it runs.
                set_pprev(addr, false);
                let func = mem::read_u64(addr + T_FUNCTION).unwrap_or(0);
                if func == 0 {
                    continue; // shut down, or unreadable
                }
                st.running = Some(Running {
                    key: RunKey::Timer(key),
                    func,
                });
                drop(st);
                call_in_softirq(func, addr, "timer", "run_timer_softirq");
            }
            Key::Host(id) => {
                let Some(f) = st.closures.remove(&id) else {
                    continue;
                };
                st.running = Some(Running {
                    key: RunKey::Timer(key),
                    func: 0,
                });
                drop(st);
                sched::preempt_count_add(SOFTIRQ_OFFSET);
                let r = std::panic::catch_unwind(AssertUnwindSafe(f));
                sched::preempt_count_sub(SOFTIRQ_OFFSET);
                if r.is_err() {
                    kernel().printk(3, "softirq: a host timer callback panicked");
                }
            }
        }
        let mut st = lock();
        st.running = None;
        SOFTIRQ.done.notify_all();
    }
}

fn run_tasklets(hi: bool) {
    let list: Vec<u64> = {
        let mut st = lock();
        let q = if hi { &mut st.hi_queue } else { &mut st.queue };
        q.drain(..).collect()
    };
    for t in list {
        let mut st = lock();
        let Some(ts) = st.tasklets.get_mut(&t) else {
            continue;
        };
        if !ts.queued {
            continue; // killed, or a stale duplicate
        }
        ts.queued = false;
        if !ts.sched || ts.count != 0 {
            // Disabled: stays scheduled; tasklet_enable queues it again.
            continue;
        }
        ts.sched = false;
        ts.running = true;
        mirror_tasklet(t, ts);
        let mut b = [0u8; 1];
        let readable = mem::read(t + TL_USE_CALLBACK, &mut b);
        let use_callback = readable.then_some(b[0] != 0);
        let func = mem::read_u64(t + TL_FUNC).unwrap_or(0);
        let data = mem::read_u64(t + TL_DATA).unwrap_or(0);
        let arg = if use_callback == Some(true) { t } else { data };
        if func != 0 && use_callback.is_some() {
            st.running = Some(Running {
                key: RunKey::Tasklet(t),
                func,
            });
            drop(st);
            call_in_softirq(func, arg, "tasklet", "tasklet_action");
            st = lock();
        }
        st.running = None;
        if let Some(ts) = st.tasklets.get_mut(&t) {
            ts.running = false;
            mirror_tasklet(t, ts);
        }
        SOFTIRQ.done.notify_all();
    }
}

// ---------------------------------------------------------------------------------------------
// Host timers (for other services).

static NEXT_HOST_ID: AtomicU64 = AtomicU64::new(1);

/// Runs `f` on the softirq thread, in softirq context, once `jiffies` reaches `deadline` (an
/// absolute jiffies value; one in the past runs at the next tick). Returns an id for
/// [`cancel_host_timer`].
pub fn add_host_timer(deadline: u64, f: Box<dyn FnOnce() + Send>) -> u64 {
    let id = NEXT_HOST_ID.fetch_add(1, Ordering::Relaxed);
    let mut st = lock();
    st.closures.insert(id, f);
    enqueue(&mut st, Key::Host(id), deadline);
    id
}

/// Takes back a host timer that has not run: true if it was pending (and now never runs).
pub fn cancel_host_timer(id: u64) -> bool {
    let mut st = lock();
    st.closures.remove(&id);
    dequeue(&mut st, Key::Host(id))
}

/// [`cancel_host_timer`], then waits for the closure if it is running (unless called from it).
pub fn cancel_host_timer_sync(id: u64) -> bool {
    let mut st = lock();
    st.closures.remove(&id);
    let was = dequeue(&mut st, Key::Host(id));
    drop(wait_while(st, |r| r.key == RunKey::Timer(Key::Host(id))));
    was
}

/// Whether a host timer is still waiting to run.
pub fn host_timer_pending(id: u64) -> bool {
    lock().index.contains_key(&Key::Host(id))
}

fn enqueue(st: &mut State, key: Key, expires: u64) {
    dequeue(st, key);
    let now = jiffies();
    // As the timer wheel does: an expiry in the past (by signed distance) runs at the next tick.
    let due = if (expires.wrapping_sub(now) as i64) <= 0 {
        now
    } else {
        expires
    };
    st.seq += 1;
    let seq = st.seq;
    st.timers.insert((due, seq), key);
    st.index.insert(key, (due, seq));
    update_next_due(st);
}

fn dequeue(st: &mut State, key: Key) -> bool {
    match st.index.remove(&key) {
        Some(k) => {
            st.timers.remove(&k);
            update_next_due(st);
            true
        }
        None => false,
    }
}

// ---------------------------------------------------------------------------------------------
// struct timer_list (docs/SDK-ABI.md): entry (hlist_node: next, pprev), expires, function, flags.

const T_PPREV: u64 = 8;
const T_EXPIRES: u64 = 16;
const T_FUNCTION: u64 = 24;
const T_FLAGS: u64 = 32;

/// Marks the timer pending or not for the header's `timer_pending()` (`entry.pprev != NULL`).
fn set_pprev(addr: u64, pending: bool) {
    let v: u64 = if pending { addr } else { 0 };
    mem::write(addr + T_PPREV, &v.to_le_bytes());
}

/// Arms a module timer (lock held): the `__mod_timer` core. Returns whether it was pending.
fn mod_timer_locked(st: &mut State, addr: u64, expires: u64) -> i32 {
    // A shut-down timer (function NULL) is not re-armed.
    if mem::read_u64(addr + T_FUNCTION).unwrap_or(0) == 0 {
        return 0;
    }
    let was = dequeue(st, Key::Timer(addr));
    mem::write(addr + T_EXPIRES, &expires.to_le_bytes());
    enqueue(st, Key::Timer(addr), expires);
    set_pprev(addr, true);
    was as i32
}

/// `init_timer_key()` (what `timer_setup()` expands to).
pub extern "C" fn init_timer_key(timer: u64, func: u64, flags: u32, _name: u64, _key: u64) {
    let mut st = lock();
    dequeue(&mut st, Key::Timer(timer));
    mem::write(timer, &0u64.to_le_bytes());
    mem::write(timer + T_PPREV, &0u64.to_le_bytes());
    mem::write(timer + T_FUNCTION, &func.to_le_bytes());
    mem::write(timer + T_FLAGS, &flags.to_le_bytes());
}

/// `add_timer()`: arms the timer at its `expires`; a pending timer is left alone.
pub extern "C" fn add_timer(timer: u64) {
    let mut st = lock();
    if st.index.contains_key(&Key::Timer(timer)) {
        return;
    }
    let Some(expires) = mem::read_u64(timer + T_EXPIRES) else {
        return;
    };
    mod_timer_locked(&mut st, timer, expires);
}

/// `mod_timer()`: (re)arms at `expires`; 1 if the timer was pending.
pub extern "C" fn mod_timer(timer: u64, expires: u64) -> i32 {
    let mut st = lock();
    if st.index.contains_key(&Key::Timer(timer))
        && mem::read_u64(timer + T_EXPIRES) == Some(expires)
    {
        return 1;
    }
    mod_timer_locked(&mut st, timer, expires)
}

/// `mod_timer_pending()`: re-arms only a pending timer.
pub extern "C" fn mod_timer_pending(timer: u64, expires: u64) -> i32 {
    let mut st = lock();
    if !st.index.contains_key(&Key::Timer(timer)) {
        return 0;
    }
    mod_timer_locked(&mut st, timer, expires)
}

/// `timer_reduce()`: arms, or moves a pending timer earlier (never later).
pub extern "C" fn timer_reduce(timer: u64, expires: u64) -> i32 {
    let mut st = lock();
    if st.index.contains_key(&Key::Timer(timer)) {
        let cur = mem::read_u64(timer + T_EXPIRES).unwrap_or(expires);
        if (expires.wrapping_sub(cur) as i64) >= 0 {
            return 1;
        }
    }
    mod_timer_locked(&mut st, timer, expires)
}

/// `add_timer_on()`: one CPU here.
pub extern "C" fn add_timer_on(timer: u64, _cpu: i32) {
    add_timer(timer);
}

/// `timer_delete()` / `del_timer()`: 1 if the timer was pending.
pub extern "C" fn timer_delete(timer: u64) -> i32 {
    let mut st = lock();
    let was = dequeue(&mut st, Key::Timer(timer));
    if was {
        set_pprev(timer, false);
    }
    was as i32
}

/// `timer_delete_sync()` / `del_timer_sync()`: deletes, then waits for a running callback.
pub extern "C" fn timer_delete_sync(timer: u64) -> i32 {
    let mut st = lock();
    let was = dequeue(&mut st, Key::Timer(timer));
    if was {
        set_pprev(timer, false);
    }
    drop(wait_while(st, |r| {
        r.key == RunKey::Timer(Key::Timer(timer))
    }));
    was as i32
}

/// `try_to_del_timer_sync()`: -1 while the callback runs, else `timer_delete()`.
pub extern "C" fn try_to_del_timer_sync(timer: u64) -> i32 {
    let mut st = lock();
    if st
        .running
        .is_some_and(|r| r.key == RunKey::Timer(Key::Timer(timer)))
    {
        return -1;
    }
    let was = dequeue(&mut st, Key::Timer(timer));
    if was {
        set_pprev(timer, false);
    }
    was as i32
}

/// `timer_shutdown()`: deletes and clears `function`, so the timer cannot be re-armed.
pub extern "C" fn timer_shutdown(timer: u64) -> i32 {
    let was = timer_delete(timer);
    let _st = lock();
    mem::write(timer + T_FUNCTION, &0u64.to_le_bytes());
    was
}

/// `timer_shutdown_sync()`.
pub extern "C" fn timer_shutdown_sync(timer: u64) -> i32 {
    let was = timer_delete_sync(timer);
    let _st = lock();
    mem::write(timer + T_FUNCTION, &0u64.to_le_bytes());
    was
}

/// `round_jiffies_common`: to a whole second (the nearest, or up), never into the past.
fn round_common(j: u64, force_up: bool) -> u64 {
    let original = j;
    let rem = j % HZ;
    let r = if rem < HZ / 4 && !force_up {
        j - rem
    } else {
        j - rem + HZ
    };
    if (r.wrapping_sub(jiffies()) as i64) <= 0 {
        original
    } else {
        r
    }
}

pub extern "C" fn round_jiffies(j: u64) -> u64 {
    round_common(j, false)
}

pub extern "C" fn round_jiffies_relative(j: u64) -> u64 {
    let now = jiffies();
    round_common(j.wrapping_add(now), false).wrapping_sub(now)
}

pub extern "C" fn round_jiffies_up(j: u64) -> u64 {
    round_common(j, true)
}

pub extern "C" fn round_jiffies_up_relative(j: u64) -> u64 {
    let now = jiffies();
    round_common(j.wrapping_add(now), true).wrapping_sub(now)
}

// ---------------------------------------------------------------------------------------------
// struct tasklet_struct (docs/SDK-ABI.md): next, state, count, use_callback, func/callback, data.

const TL_STATE: u64 = 8;
const TL_COUNT: u64 = 16;
const TL_USE_CALLBACK: u64 = 20;
const TL_FUNC: u64 = 24;
const TL_DATA: u64 = 32;

fn mirror_tasklet(t: u64, ts: &Tasklet) {
    let state = ts.sched as u64 | (ts.running as u64) << 1;
    mem::write(t + TL_STATE, &state.to_le_bytes());
    mem::write(t + TL_COUNT, &ts.count.to_le_bytes());
}

/// The host's state of a tasklet, first read from its structure (`DECLARE_TASKLET*`).
fn tasklet_state(st: &mut State, t: u64) -> &mut Tasklet {
    st.tasklets.entry(t).or_insert_with(|| Tasklet {
        count: mem::read_i32(t + TL_COUNT).unwrap_or(0),
        ..Default::default()
    })
}

fn tasklet_init_common(t: u64, func: u64, data: u64, use_callback: bool) {
    let mut st = lock();
    st.tasklets.remove(&t);
    mem::write(t, &0u64.to_le_bytes());
    mem::write(t + TL_STATE, &0u64.to_le_bytes());
    mem::write(t + TL_COUNT, &0i32.to_le_bytes());
    mem::write(t + TL_USE_CALLBACK, &[use_callback as u8]);
    mem::write(t + TL_FUNC, &func.to_le_bytes());
    mem::write(t + TL_DATA, &data.to_le_bytes());
}

/// `tasklet_init(t, func, data)`: `func(data)` when it runs.
pub extern "C" fn tasklet_init(t: u64, func: u64, data: u64) {
    tasklet_init_common(t, func, data, false);
}

/// `tasklet_setup(t, callback)`: `callback(t)` when it runs.
pub extern "C" fn tasklet_setup(t: u64, callback: u64) {
    tasklet_init_common(t, callback, 0, true);
}

fn schedule_tasklet(t: u64, hi: bool) {
    let mut st = lock();
    let ts = tasklet_state(&mut st, t);
    if ts.sched {
        return; // already scheduled: it runs once
    }
    ts.sched = true;
    ts.hi = hi;
    ts.queued = true;
    mirror_tasklet(t, ts);
    if hi {
        st.hi_queue.push_back(t);
    } else {
        st.queue.push_back(t);
    }
    raise_locked(&mut st);
}

/// `tasklet_schedule()`.
pub extern "C" fn tasklet_schedule(t: u64) {
    schedule_tasklet(t, false);
}

/// `tasklet_hi_schedule()`.
pub extern "C" fn tasklet_hi_schedule(t: u64) {
    schedule_tasklet(t, true);
}

/// `tasklet_disable_nosync()`.
pub extern "C" fn tasklet_disable_nosync(t: u64) {
    let mut st = lock();
    let ts = tasklet_state(&mut st, t);
    ts.count += 1;
    mirror_tasklet(t, ts);
}

/// `tasklet_unlock_wait()`: waits while the tasklet runs.
pub extern "C" fn tasklet_unlock_wait(t: u64) {
    drop(wait_while(lock(), |r| r.key == RunKey::Tasklet(t)));
}

/// `tasklet_disable()`: disables and waits for a running instance.
pub extern "C" fn tasklet_disable(t: u64) {
    tasklet_disable_nosync(t);
    tasklet_unlock_wait(t);
}

/// `tasklet_enable()`: true when the tasklet is enabled again; a deferred one is queued.
pub extern "C" fn tasklet_enable(t: u64) -> bool {
    let mut st = lock();
    let ts = tasklet_state(&mut st, t);
    ts.count -= 1;
    mirror_tasklet(t, ts);
    let enabled = ts.count == 0;
    if enabled && ts.sched && !ts.queued {
        ts.queued = true;
        let hi = ts.hi;
        if hi {
            st.hi_queue.push_back(t);
        } else {
            st.queue.push_back(t);
        }
        raise_locked(&mut st);
    }
    enabled
}

/// `tasklet_kill()`: waits until a scheduled (enabled) tasklet has run and a running one has
/// finished; leaves it unscheduled. Unlike Linux, a scheduled but disabled tasklet is taken off
/// its queue instead of waiting forever.
pub extern "C" fn tasklet_kill(t: u64) {
    if sched::in_interrupt() {
        kernel().printk(5, "Attempt to kill tasklet from interrupt");
    }
    let mut st = lock();
    if !on_softirq_thread() {
        loop {
            let ts = tasklet_state(&mut st, t);
            let waiting = (ts.sched && ts.count == 0) || ts.running;
            if !waiting {
                break;
            }
            st = SOFTIRQ.done.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
    let ts = tasklet_state(&mut st, t);
    ts.sched = false;
    ts.queued = false;
    mirror_tasklet(t, ts);
}

// ---------------------------------------------------------------------------------------------
// Unloading.

/// Deletes the pending timers and scheduled tasklets of a module that is being unloaded (the
/// structure or the callback lies in its memory) and waits for a running one. The loader calls
/// this before the module's memory is released.
pub fn module_unloading(m: &Module) {
    let ours = |a: u64| a != 0 && m.contains(a);
    let name = |f: u64| crate::unloaded::function_name(m, f);
    let busy = |r: &Running| {
        ours(r.func)
            || match r.key {
                RunKey::Timer(Key::Timer(a)) | RunKey::Tasklet(a) => ours(a),
                RunKey::Timer(Key::Host(_)) => false,
            }
    };
    let print = |lines: &mut Vec<String>| {
        let k = kernel();
        for l in lines.drain(..) {
            k.printk(3, &l);
        }
    };
    let mut lines = Vec::new();
    let mut announced = false;
    let mut st = lock();
    // Until nothing of the module is pending or running (a running callback may re-arm itself).
    loop {
        let timers: Vec<Key> = st
            .index
            .keys()
            .copied()
            .filter(|k| match *k {
                Key::Timer(a) => ours(a) || ours(mem::read_u64(a + T_FUNCTION).unwrap_or(0)),
                Key::Host(_) => false,
            })
            .collect();
        for k in timers {
            dequeue(&mut st, k);
            if let Key::Timer(a) = k {
                let func = mem::read_u64(a + T_FUNCTION).unwrap_or(0);
                lines.push(format!(
                    "lkm: {}: timer {} still pending at unload: deleted",
                    m.name,
                    name(func)
                ));
                set_pprev(a, false);
            }
        }
        let tasklets: Vec<u64> = st
            .tasklets
            .keys()
            .copied()
            .filter(|&t| ours(t) || ours(mem::read_u64(t + TL_FUNC).unwrap_or(0)))
            .collect();
        for t in tasklets {
            if let Some(ts) = st.tasklets.remove(&t) {
                if !ts.running {
                    if ts.sched {
                        let func = mem::read_u64(t + TL_FUNC).unwrap_or(0);
                        lines.push(format!(
                            "lkm: {}: tasklet {} still scheduled at unload: killed",
                            m.name,
                            name(func)
                        ));
                    }
                    continue;
                }
                // Running: keep its state until it returns (waited for below).
                st.tasklets.insert(t, ts);
            }
        }
        let running = st.running.filter(|r| busy(r) && !on_softirq_thread());
        let Some(r) = running else {
            st.tasklets.retain(|&t, _| !ours(t));
            drop(st);
            print(&mut lines);
            return;
        };
        if !announced {
            announced = true;
            let what = match r.key {
                RunKey::Tasklet(_) => "tasklet",
                RunKey::Timer(_) => "timer",
            };
            lines.push(format!(
                "lkm: {}: {what} {} running at unload: waiting for it to return",
                m.name,
                name(r.func)
            ));
        }
        drop(st);
        print(&mut lines);
        st = wait_while(lock(), busy);
    }
}

// ---------------------------------------------------------------------------------------------
// Jiffies conversions (HZ = 250: 4 ms a jiffy).

const MSEC_PER_JIFFY: u64 = 1000 / HZ;
const USEC_PER_JIFFY: u64 = 1_000_000 / HZ;

pub extern "C" fn get_jiffies_64() -> u64 {
    jiffies()
}

pub extern "C" fn jiffies_to_msecs(j: u64) -> u32 {
    (MSEC_PER_JIFFY.wrapping_mul(j)) as u32
}

pub extern "C" fn jiffies_to_usecs(j: u64) -> u32 {
    (USEC_PER_JIFFY.wrapping_mul(j)) as u32
}

pub extern "C" fn __msecs_to_jiffies(m: u32) -> u64 {
    if (m as i32) < 0 {
        return MAX_JIFFY_OFFSET;
    }
    (m as u64).div_ceil(MSEC_PER_JIFFY)
}

pub extern "C" fn __usecs_to_jiffies(u: u32) -> u64 {
    (u as u64).div_ceil(USEC_PER_JIFFY)
}

pub extern "C" fn jiffies64_to_nsecs(j: u64) -> u64 {
    j.wrapping_mul(TICK_NS)
}

pub extern "C" fn jiffies64_to_msecs(j: u64) -> u64 {
    j.wrapping_mul(MSEC_PER_JIFFY)
}

pub extern "C" fn nsecs_to_jiffies64(n: u64) -> u64 {
    n / TICK_NS
}

pub extern "C" fn nsecs_to_jiffies(n: u64) -> u64 {
    n / TICK_NS
}

pub extern "C" fn jiffies_to_clock_t(j: i64) -> i64 {
    // USER_HZ = 100
    j.wrapping_mul(100) / HZ as i64
}

/// `timespec64_to_jiffies(const struct timespec64 *)`.
pub extern "C" fn timespec64_to_jiffies(ts: u64) -> u64 {
    let (Some(sec), Some(nsec)) = (mem::read_u64(ts), mem::read_u64(ts + 8)) else {
        return 0;
    };
    let ns = (sec as i64 as i128) * NSEC_PER_SEC as i128 + nsec as i64 as i128;
    if ns <= 0 {
        return 0;
    }
    (ns as u128)
        .div_ceil(TICK_NS as u128)
        .min(MAX_JIFFY_OFFSET as u128) as u64
}

/// `jiffies_to_timespec64(j, struct timespec64 *)`.
pub extern "C" fn jiffies_to_timespec64(j: u64, ts: u64) {
    write_ts64(ts, j.wrapping_mul(TICK_NS) as i64);
}

// ---------------------------------------------------------------------------------------------
// Sleeping and delays.

/// The sleeping-in-atomic checks: Linux's sleeps reach `schedule()`, whose `schedule_debug()`
/// reports `BUG: scheduling while atomic` (msleep and friends have no `might_sleep()` of their
/// own).
fn check_atomic_sleep() {
    super::task::schedule_debug();
}

fn schedule_timeout_state(timeout: i64, state: u32) -> i64 {
    sched::current().set_state(state);
    // schedule_timeout() checks.
    schedule_timeout(timeout)
}

/// `schedule_timeout_interruptible()`: ends early on `wake_up_process()` or a pending signal.
pub extern "C" fn schedule_timeout_interruptible(timeout: i64) -> i64 {
    schedule_timeout_state(timeout, sched::TASK_INTERRUPTIBLE)
}

/// `schedule_timeout_killable()`.
pub extern "C" fn schedule_timeout_killable(timeout: i64) -> i64 {
    schedule_timeout_state(timeout, sched::TASK_KILLABLE)
}

/// `schedule_timeout_uninterruptible()`: ends early only on `wake_up_process()`.
pub extern "C" fn schedule_timeout_uninterruptible(timeout: i64) -> i64 {
    schedule_timeout_state(timeout, sched::TASK_UNINTERRUPTIBLE)
}

/// `schedule_timeout_idle()`.
pub extern "C" fn schedule_timeout_idle(timeout: i64) -> i64 {
    schedule_timeout_state(timeout, sched::TASK_IDLE)
}

/// `msleep()`: at least `msecs` (Linux's: `msecs_to_jiffies(msecs) + 1` jiffies, resumed after
/// wake-ups).
pub extern "C" fn msleep(msecs: u32) {
    let mut timeout = __msecs_to_jiffies(msecs).saturating_add(1) as i64;
    while timeout > 0 {
        timeout = schedule_timeout_uninterruptible(timeout);
    }
}

/// `msleep_interruptible()`: as `msleep`, but ends when a signal is pending; returns the
/// milliseconds left.
pub extern "C" fn msleep_interruptible(msecs: u32) -> u64 {
    let mut timeout = __msecs_to_jiffies(msecs).saturating_add(1) as i64;
    let me = get_current();
    while timeout > 0 && __lkm_signal_pending(me) == 0 {
        timeout = schedule_timeout_interruptible(timeout);
    }
    jiffies_to_msecs(timeout as u64) as u64
}

/// `usleep_range_state()`: sleeps at least `min` microseconds in `state` (wake-ups do not end it
/// early).
pub extern "C" fn usleep_range_state(min: u64, _max: u64, state: u32) {
    check_atomic_sleep();
    let deadline = Instant::now() + Duration::from_micros(min);
    let t = sched::current();
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        t.set_state(state);
        t.sleep(Some(deadline - now));
    }
    t.set_state(sched::TASK_RUNNING);
}

fn busy_wait(d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

/// `__udelay()`: busy-waits (no sleeping; fine in atomic context).
pub extern "C" fn __udelay(usecs: u64) {
    busy_wait(Duration::from_micros(usecs));
}

/// `__ndelay()`.
pub extern "C" fn __ndelay(nsecs: u64) {
    busy_wait(Duration::from_nanos(nsecs));
}

/// `__const_udelay(xloops)`: `xloops` = usecs × 2³²/10⁶ (0x10c7 per microsecond).
pub extern "C" fn __const_udelay(xloops: u64) {
    let ns = ((xloops as u128 * 1_000_000_000) >> 32) as u64 / 1000;
    busy_wait(Duration::from_nanos(ns));
}

/// `__delay(loops)`: one loop taken as a nanosecond.
pub extern "C" fn __delay(loops: u64) {
    busy_wait(Duration::from_nanos(loops));
}

// ---------------------------------------------------------------------------------------------
// ktime and timespec64.

fn mono_ns() -> i64 {
    uptime().as_nanos().min(i64::MAX as u128) as i64
}

fn real_ns() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos().min(i64::MAX as u128) as i64,
        Err(e) => -(e.duration().as_nanos().min(i64::MAX as u128) as i64),
    }
}

fn write_ts64(ts: u64, ns: i64) {
    let sec = ns.div_euclid(NSEC_PER_SEC);
    let nsec = ns.rem_euclid(NSEC_PER_SEC);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&sec.to_le_bytes());
    b[8..].copy_from_slice(&nsec.to_le_bytes());
    mem::write(ts, &b);
}

/// `ktime_get()`: CLOCK_MONOTONIC, nanoseconds since the sandbox booted.
pub extern "C" fn ktime_get() -> i64 {
    mono_ns()
}

/// `ktime_get_real()`: CLOCK_REALTIME.
pub extern "C" fn ktime_get_real() -> i64 {
    real_ns()
}

/// `ktime_get_boottime()`: CLOCK_BOOTTIME (the sandbox never suspends: = monotonic).
pub extern "C" fn ktime_get_boottime() -> i64 {
    mono_ns()
}

/// `ktime_get_raw()`: CLOCK_MONOTONIC_RAW.
pub extern "C" fn ktime_get_raw() -> i64 {
    mono_ns()
}

/// `ktime_get_clocktai()`: CLOCK_TAI (realtime + 37 s).
pub extern "C" fn ktime_get_clocktai() -> i64 {
    real_ns().saturating_add(37 * NSEC_PER_SEC)
}

pub extern "C" fn ktime_get_seconds() -> i64 {
    mono_ns() / NSEC_PER_SEC
}

pub extern "C" fn ktime_get_real_seconds() -> i64 {
    real_ns().div_euclid(NSEC_PER_SEC)
}

pub extern "C" fn ktime_get_mono_fast_ns() -> u64 {
    mono_ns() as u64
}

pub extern "C" fn ktime_get_real_fast_ns() -> u64 {
    real_ns() as u64
}

pub extern "C" fn ktime_get_ts64(ts: u64) {
    write_ts64(ts, mono_ns());
}

pub extern "C" fn ktime_get_real_ts64(ts: u64) {
    write_ts64(ts, real_ns());
}

/// `ktime_get_coarse_real_ts64()`: the precise clock (coarse clocks are an optimisation).
pub extern "C" fn ktime_get_coarse_real_ts64(ts: u64) {
    write_ts64(ts, real_ns());
}

pub extern "C" fn ktime_get_coarse_ts64(ts: u64) {
    write_ts64(ts, mono_ns());
}

pub extern "C" fn ktime_get_boottime_ts64(ts: u64) {
    write_ts64(ts, mono_ns());
}

pub extern "C" fn ktime_get_raw_ts64(ts: u64) {
    write_ts64(ts, mono_ns());
}

// ---------------------------------------------------------------------------------------------

macro_rules! f {
    ($name:ident) => {
        func_export(stringify!($name), $name as *const () as usize)
    };
    ($name:expr, $f:ident) => {
        func_export($name, $f as *const () as usize)
    };
}

/// This area's exports.
pub fn exports() -> Vec<ExportEntry> {
    vec![
        data_export("jiffies", 8, |_, b| {
            b.copy_from_slice(&INITIAL_JIFFIES.to_le_bytes())
        }),
        data_export("jiffies_64", 8, |_, b| {
            b.copy_from_slice(&INITIAL_JIFFIES.to_le_bytes())
        }),
        // `__delay(loops)` takes a loop as a nanosecond.
        data_export("loops_per_jiffy", 8, |_, b| {
            b.copy_from_slice(&TICK_NS.to_le_bytes())
        }),
        f!(get_jiffies_64),
        f!(jiffies_to_msecs),
        f!(jiffies_to_usecs),
        f!(__msecs_to_jiffies),
        f!(__usecs_to_jiffies),
        f!(jiffies64_to_nsecs),
        f!(jiffies64_to_msecs),
        f!(nsecs_to_jiffies64),
        f!(nsecs_to_jiffies),
        f!(jiffies_to_clock_t),
        f!(timespec64_to_jiffies),
        f!(jiffies_to_timespec64),
        f!(round_jiffies),
        f!(round_jiffies_relative),
        f!(round_jiffies_up),
        f!(round_jiffies_up_relative),
        // sleeping and delays
        f!(schedule_timeout_interruptible),
        f!(schedule_timeout_killable),
        f!(schedule_timeout_uninterruptible),
        f!(schedule_timeout_idle),
        f!(msleep),
        f!(msleep_interruptible),
        f!(usleep_range_state),
        f!(__udelay),
        f!(__ndelay),
        f!(__const_udelay),
        f!(__delay),
        // clocks
        f!(ktime_get),
        f!(ktime_get_real),
        f!(ktime_get_boottime),
        f!(ktime_get_raw),
        f!(ktime_get_clocktai),
        f!(ktime_get_seconds),
        f!(ktime_get_real_seconds),
        f!(ktime_get_mono_fast_ns),
        f!(ktime_get_real_fast_ns),
        f!(ktime_get_ts64),
        f!(ktime_get_real_ts64),
        f!(ktime_get_coarse_real_ts64),
        f!(ktime_get_coarse_ts64),
        f!(ktime_get_boottime_ts64),
        f!(ktime_get_raw_ts64),
        // timers
        f!(init_timer_key),
        f!(add_timer),
        f!(add_timer_on),
        f!(mod_timer),
        f!(mod_timer_pending),
        f!(timer_reduce),
        f!(timer_delete),
        f!(timer_delete_sync),
        f!("del_timer", timer_delete),
        f!("del_timer_sync", timer_delete_sync),
        f!(try_to_del_timer_sync),
        f!(timer_shutdown),
        f!(timer_shutdown_sync),
        // tasklets
        f!(tasklet_init),
        f!(tasklet_setup),
        f!(tasklet_schedule),
        f!(tasklet_hi_schedule),
        f!("__tasklet_schedule", tasklet_schedule),
        f!("__tasklet_hi_schedule", tasklet_hi_schedule),
        f!(tasklet_disable_nosync),
        f!(tasklet_disable),
        f!("tasklet_disable_in_atomic", tasklet_disable),
        f!(tasklet_enable),
        f!(tasklet_kill),
        f!(tasklet_unlock_wait),
        f!("tasklet_unlock_spin_wait", tasklet_unlock_wait),
    ]
}
