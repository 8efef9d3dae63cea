//! Work queues (`<linux/workqueue.h>`).
//!
//! A `struct workqueue_struct *` is an opaque handle (a kernel-looking address the module never
//! dereferences). Each queue has its own workers, host threads that are [`TaskKind::Worker`] tasks
//! named as Linux names them: `kworker/0:N` for the per-CPU queues (`system_wq`, `alloc_workqueue`
//! without `WQ_UNBOUND`), `kworker/0:NH` for high-priority ones, `kworker/u2:N` for unbound and
//! ordered ones. Workers start when work arrives and no worker is idle (up to the queue's
//! `max_active`, at most 64) and leave after 5 s without work. A work function runs through the
//! guard; a fault is an oops report and the worker goes on with the next item.
//!
//! The host keeps each work item's state by its address: pending (queued on a queue, or waiting for
//! its delay), running, and run counters for `flush_work`. Bit 0 of `work->data`
//! (`WORK_STRUCT_PENDING`) mirrors "pending" for `work_pending()`; it is cleared before the function
//! runs, and the worker does not touch the item after the function returns (it may free it).
//! Semantics are Linux's: queueing a pending item returns false and does nothing; an item never runs
//! on two workers at once; ordered queues (`alloc_ordered_workqueue`, `create_singlethread_workqueue`,
//! `max_active` 1) run items one at a time in queue order; `flush_workqueue` waits for everything
//! queued before it; `cancel_*_sync` takes the item off its queue or timer and waits for a running
//! instance, and queueing it meanwhile fails; `drain_workqueue` and `destroy_workqueue` refuse work
//! from outside the queue's own workers while they run.
//!
//! Delays: a delayed item waits on a host timer of the time area ([`time::add_host_timer`]), which
//! puts it on its queue from the softirq thread in the tick where `jiffies` reaches the deadline,
//! as Linux's `delayed_work_timer_fn` does. The `struct timer_list` in `struct delayed_work` keeps
//! Linux's layout and is left zero (the host's timer is not the module's).

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::kernel::{kernel, Sandbox};
use crate::sched::{self, TaskKind};
use crate::services::{data_export, func_export, time, ExportEntry};
use crate::{guard, mem, oops};

pub const WQ_BH: u32 = 1 << 0;
pub const WQ_UNBOUND: u32 = 1 << 1;
pub const WQ_HIGHPRI: u32 = 1 << 4;
pub const WQ_ORDERED: u32 = 1 << 17;
pub const WQ_MAX_ACTIVE: i32 = 512;
pub const WQ_DFL_ACTIVE: i32 = WQ_MAX_ACTIVE / 2;

/// `offsetof(struct work_struct, func)`.
const WORK_FUNC_OFFSET: u64 = 24;
/// Workers of one queue at most (Linux starts more as workers block; the sandbox's host threads
/// really run in parallel, so a cap this size is plenty).
const MAX_WORKERS: usize = 64;
const IDLE_EXIT: Duration = Duration::from_secs(5);

/// The built-in queues: export name, `wq->name`, flags.
const SYSTEM_WQS: [(&str, &str, u32); 7] = [
    ("system_wq", "events", 0),
    ("system_highpri_wq", "events_highpri", WQ_HIGHPRI),
    ("system_long_wq", "events_long", 0),
    ("system_unbound_wq", "events_unbound", WQ_UNBOUND),
    ("system_freezable_wq", "events_freezable", 1 << 2),
    (
        "system_power_efficient_wq",
        "events_power_efficient",
        1 << 7,
    ),
    (
        "system_freezable_power_efficient_wq",
        "events_freezable_pwr_efficient",
        (1 << 2) | (1 << 7),
    ),
];

/// Handles look like kernel addresses (never dereferenced, and would fault if they were).
const WQ_HANDLE_BASE: u64 = 0xffff_8880_1000_0000;

fn wq_handle(n: u64) -> u64 {
    WQ_HANDLE_BASE + n * 0x200
}

struct Wq {
    name: String,
    flags: u32,
    max_active: usize,
    queue: VecDeque<(u64, u64)>,
    next_seq: u64,
    /// Sequence numbers of items queued or running.
    outstanding: BTreeSet<u64>,
    workers: usize,
    idle: usize,
    running: usize,
    draining: bool,
    destroying: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pending {
    /// Waiting for its delay: the time area's host timer `id`.
    Timer {
        wq: u64,
        id: u64,
    },
    Queued {
        wq: u64,
        seq: u64,
    },
}

#[derive(Default)]
struct WorkRec {
    pending: Option<Pending>,
    /// `(wq, seq, func)` of the running instance.
    running: Option<(u64, u64, u64)>,
    started: u64,
    finished: u64,
    waiters: usize,
    canceling: bool,
}

impl WorkRec {
    fn idle(&self) -> bool {
        self.pending.is_none() && self.running.is_none() && self.waiters == 0 && !self.canceling
    }
}

#[derive(Default)]
struct State {
    wqs: HashMap<u64, Wq>,
    works: HashMap<u64, WorkRec>,
    next_wq: u64,
}

struct Global {
    state: Mutex<State>,
    changed: Condvar,
}

fn global() -> &'static Global {
    static G: OnceLock<Global> = OnceLock::new();
    G.get_or_init(|| {
        let mut s = State::default();
        for (_, name, flags) in SYSTEM_WQS {
            new_wq(&mut s, name.to_string(), flags, 0);
        }
        Global {
            state: Mutex::new(s),
            changed: Condvar::new(),
        }
    })
}

fn lock() -> MutexGuard<'static, State> {
    global().state.lock().unwrap_or_else(|e| e.into_inner())
}

fn wait(s: MutexGuard<'static, State>) -> MutexGuard<'static, State> {
    // A flush or cancel waits in TASK_UNINTERRUPTIBLE (the hung-task detector sees it).
    let _blocked = crate::sched::blocked(crate::sched::TASK_UNINTERRUPTIBLE);
    global().changed.wait(s).unwrap_or_else(|e| e.into_inner())
}

fn notify() {
    global().changed.notify_all();
}

thread_local! {
    /// The queue this worker thread serves (0 on other threads).
    static WORKER_OF: Cell<u64> = const { Cell::new(0) };
    /// The work item this worker is running (`current_work()`).
    static CURRENT_WORK: Cell<u64> = const { Cell::new(0) };
}

fn new_wq(s: &mut State, name: String, flags: u32, max_active: i32) -> u64 {
    s.next_wq += 1;
    let id = wq_handle(s.next_wq);
    let max_active = if flags & WQ_ORDERED != 0 {
        1
    } else if max_active <= 0 {
        WQ_DFL_ACTIVE as usize
    } else {
        max_active.min(WQ_MAX_ACTIVE) as usize
    };
    s.wqs.insert(
        id,
        Wq {
            name,
            flags,
            max_active,
            queue: VecDeque::new(),
            next_seq: 0,
            outstanding: BTreeSet::new(),
            workers: 0,
            idle: 0,
            running: 0,
            draining: false,
            destroying: false,
        },
    );
    id
}

fn warn(msg: &str) {
    kernel().printk(4, msg);
}

/// Marks the item pending (bit 0 of `work->data`) or not.
fn set_pending_bit(work: u64, on: bool) {
    let mut b = [0u8; 1];
    if mem::read(work, &mut b) {
        b[0] = (b[0] & !1) | on as u8;
        mem::write(work, &b);
    }
}

static BOUND_IDS: AtomicU32 = AtomicU32::new(0);
static HIGHPRI_IDS: AtomicU32 = AtomicU32::new(0);
static UNBOUND_IDS: AtomicU32 = AtomicU32::new(0);

fn worker_name(flags: u32) -> String {
    if flags & (WQ_UNBOUND | WQ_ORDERED) != 0 {
        format!("kworker/u2:{}", UNBOUND_IDS.fetch_add(1, Ordering::Relaxed))
    } else if flags & WQ_HIGHPRI != 0 {
        format!("kworker/0:{}H", HIGHPRI_IDS.fetch_add(1, Ordering::Relaxed))
    } else {
        format!("kworker/0:{}", BOUND_IDS.fetch_add(1, Ordering::Relaxed))
    }
}

/// Puts `work` on `wq` (the caller checked it may); starts a worker if none is idle.
fn enqueue(s: &mut State, wq: u64, work: u64) {
    let Some(w) = s.wqs.get_mut(&wq) else {
        return;
    };
    let seq = w.next_seq;
    w.next_seq += 1;
    w.queue.push_back((work, seq));
    w.outstanding.insert(seq);
    let spawn = w.idle == 0 && w.workers < w.max_active.min(MAX_WORKERS);
    let flags = w.flags;
    if spawn {
        w.workers += 1;
    }
    s.works.entry(work).or_default().pending = Some(Pending::Queued { wq, seq });
    set_pending_bit(work, true);
    if spawn {
        let name = worker_name(flags);
        let thread_name: String = name.chars().take(15).collect();
        let n2 = name.clone();
        if std::thread::Builder::new()
            .name(thread_name)
            .stack_size(1 << 20)
            .spawn(move || worker_main(wq, n2))
            .is_err()
        {
            if let Some(w) = s.wqs.get_mut(&wq) {
                w.workers -= 1;
            }
            warn(&format!("workqueue: cannot start worker {name}"));
        }
    }
    notify();
}

/// Whether this thread may queue on `wq` now (not while it drains or is destroyed, except chained
/// work from its own workers).
fn may_queue(s: &State, wq: u64, work: u64) -> bool {
    let Some(w) = s.wqs.get(&wq) else {
        warn(&format!(
            "workqueue: cannot queue work {work:#x} on unknown workqueue {wq:#x}"
        ));
        return false;
    };
    if (w.draining || w.destroying) && WORKER_OF.with(|c| c.get()) != wq {
        warn(&format!(
            "workqueue: cannot queue work {work:#x} on wq {} while it drains",
            w.name
        ));
        return false;
    }
    true
}

fn worker_main(wq: u64, name: String) {
    guard::thread_init();
    sched::become_task(TaskKind::Worker, sched::alloc_pid(), &name);
    WORKER_OF.with(|c| c.set(wq));
    let mut s = lock();
    loop {
        let State { wqs, works, .. } = &mut *s;
        let Some(w) = wqs.get_mut(&wq) else {
            break;
        };
        let pick = if w.running < w.max_active {
            w.queue.iter().position(|(work, _)| {
                works
                    .get(work)
                    .is_none_or(|r| r.running.is_none() && !r.canceling)
            })
        } else {
            None
        };
        if let Some(i) = pick {
            let (work, seq) = w.queue.remove(i).expect("picked index");
            w.running += 1;
            let func = mem::read_u64(work + WORK_FUNC_OFFSET).unwrap_or(0);
            let rec = works.entry(work).or_default();
            rec.pending = None;
            rec.running = Some((wq, seq, func));
            rec.started += 1;
            set_pending_bit(work, false);
            drop(s);
            run_one(work, func);
            s = lock();
            if let Some(rec) = s.works.get_mut(&work) {
                rec.running = None;
                rec.finished += 1;
                if rec.idle() {
                    s.works.remove(&work);
                }
            }
            if let Some(w) = s.wqs.get_mut(&wq) {
                w.running -= 1;
                w.outstanding.remove(&seq);
            }
            notify();
            drop(s);
            super::reap_deferred();
            s = lock();
            continue;
        }
        if w.destroying && w.queue.is_empty() && w.running == 0 {
            w.workers -= 1;
            notify();
            break;
        }
        w.idle += 1;
        let (g, to) = global()
            .changed
            .wait_timeout(s, IDLE_EXIT)
            .unwrap_or_else(|e| e.into_inner());
        s = g;
        if let Some(w) = s.wqs.get_mut(&wq) {
            w.idle -= 1;
            if to.timed_out() && w.queue.is_empty() && !w.destroying {
                w.workers -= 1;
                break;
            }
        }
    }
}

fn run_one(work: u64, func: u64) {
    if func == 0 {
        warn(&format!(
            "workqueue: work {work:#x} has no function (not initialised with INIT_WORK?)"
        ));
        return;
    }
    CURRENT_WORK.with(|c| c.set(work));
    // SAFETY: `func` is the item's `work_func_t` (`void (*)(struct work_struct *)`); the module's
    // text stays mapped while it runs (release_core defers the free while a worker is in it).
    if let Err(f) = unsafe { guard::call(func, &[work]) } {
        oops::report(&f, "process_one_work");
    }
    CURRENT_WORK.with(|c| c.set(0));
}

/// Takes a pending instance off its queue or timer. A queued instance taken off counts as run for
/// `flush_work` waiters. True if it was pending.
fn grab(s: &mut State, work: u64) -> bool {
    let Some(p) = s.works.get(&work).and_then(|r| r.pending) else {
        return false;
    };
    match p {
        Pending::Timer { id, .. } => {
            // A closure already running finds the item no longer waiting for it, and does nothing.
            time::cancel_host_timer(id);
        }
        Pending::Queued { wq, seq } => {
            if let Some(w) = s.wqs.get_mut(&wq) {
                w.queue.retain(|&(_, q)| q != seq);
                w.outstanding.remove(&seq);
            }
            let rec = s.works.get_mut(&work).expect("pending record");
            rec.started += 1;
            rec.finished += 1;
        }
    }
    s.works.get_mut(&work).expect("pending record").pending = None;
    set_pending_bit(work, false);
    notify();
    true
}

fn forget_if_idle(s: &mut State, work: u64) {
    if s.works.get(&work).is_some_and(|r| r.idle()) {
        s.works.remove(&work);
    }
}

fn is_pending_or_canceling(s: &State, work: u64) -> bool {
    s.works
        .get(&work)
        .is_some_and(|r| r.pending.is_some() || r.canceling)
}

fn arm_timer(s: &mut State, wq: u64, work: u64, delay: u64) {
    // The closure needs its own id to know it is still the one the item waits for.
    let slot = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mine = slot.clone();
    let id = time::add_host_timer(
        time::jiffies().wrapping_add(delay),
        Box::new(move || timer_fired(wq, work, &mine)),
    );
    slot.store(id, Ordering::Release);
    s.works.entry(work).or_default().pending = Some(Pending::Timer { wq, id });
    set_pending_bit(work, true);
}

/// A delay has passed (on the softirq thread): the item goes on its queue, if it still waits for
/// this timer and the queue still exists.
fn timer_fired(wq: u64, work: u64, id: &std::sync::atomic::AtomicU64) {
    // Under the lock: the arming thread stored the id before it let go of the lock.
    let mut s = lock();
    let id = id.load(Ordering::Acquire);
    if s.works.get(&work).and_then(|r| r.pending) != Some(Pending::Timer { wq, id }) {
        return;
    }
    if s.wqs.contains_key(&wq) {
        enqueue(&mut s, wq, work);
    } else {
        if let Some(r) = s.works.get_mut(&work) {
            r.pending = None;
        }
        forget_if_idle(&mut s, work);
    }
}

// ---------------------------------------------------------------------------------------------
// Exports.

/// The Rust side of `alloc_workqueue`: the name is already formatted.
#[no_mangle]
pub extern "C" fn lkm_alloc_workqueue(
    name: *const libc::c_char,
    flags: u32,
    max_active: i32,
) -> u64 {
    let name =
        String::from_utf8_lossy(&mem::read_cstr(name as u64, 63).unwrap_or_default()).into_owned();
    if flags & WQ_BH != 0 {
        warn(&format!(
            "workqueue: {name}: WQ_BH queues run in a worker here"
        ));
    }
    new_wq(&mut lock(), name, flags, max_active)
}

/// `queue_work_on(cpu, wq, work)`: false if the item was already pending.
pub extern "C" fn queue_work_on(_cpu: i32, wq: u64, work: u64) -> bool {
    let mut s = lock();
    if is_pending_or_canceling(&s, work) || !may_queue(&s, wq, work) {
        return false;
    }
    enqueue(&mut s, wq, work);
    true
}

/// `queue_delayed_work_on(cpu, wq, dwork, delay)`.
pub extern "C" fn queue_delayed_work_on(_cpu: i32, wq: u64, dwork: u64, delay: u64) -> bool {
    let mut s = lock();
    if is_pending_or_canceling(&s, dwork) || !may_queue(&s, wq, dwork) {
        return false;
    }
    if delay == 0 {
        enqueue(&mut s, wq, dwork);
    } else {
        arm_timer(&mut s, wq, dwork, delay);
    }
    true
}

/// `mod_delayed_work_on(cpu, wq, dwork, delay)`: (re)arms with the new delay; true if it was
/// pending.
pub extern "C" fn mod_delayed_work_on(_cpu: i32, wq: u64, dwork: u64, delay: u64) -> bool {
    let mut s = lock();
    if s.works.get(&dwork).is_some_and(|r| r.canceling) || !may_queue(&s, wq, dwork) {
        return false;
    }
    let was = grab(&mut s, dwork);
    if delay == 0 {
        enqueue(&mut s, wq, dwork);
    } else {
        arm_timer(&mut s, wq, dwork, delay);
    }
    was
}

/// `__flush_workqueue(wq)` (`flush_workqueue`, `flush_scheduled_work`): waits for every item
/// queued before the call.
pub extern "C" fn __flush_workqueue(wq: u64) {
    // Linux takes mutex_lock(&wq->mutex) first.
    crate::services::sync::might_sleep("kernel/locking/mutex.c", 283);
    let mut s = lock();
    let Some(target) = s.wqs.get(&wq).map(|w| w.next_seq) else {
        return;
    };
    while s
        .wqs
        .get(&wq)
        .is_some_and(|w| w.outstanding.range(..target).next().is_some())
    {
        s = wait(s);
    }
}

/// `flush_work(work)`: waits for the queued or running instance; true if it waited.
pub extern "C" fn flush_work(work: u64) -> bool {
    // Linux waits in wait_for_completion(&barr.done).
    crate::services::sync::might_sleep("kernel/sched/completion.c", 117);
    flush_work_locked(lock(), work)
}

fn flush_work_locked(mut s: MutexGuard<'static, State>, work: u64) -> bool {
    let Some(rec) = s.works.get_mut(&work) else {
        return false;
    };
    let queued = matches!(rec.pending, Some(Pending::Queued { .. }));
    if !queued && rec.running.is_none() {
        return false;
    }
    let target = rec.started + queued as u64;
    rec.waiters += 1;
    while s.works.get(&work).is_some_and(|r| r.finished < target) {
        s = wait(s);
    }
    if let Some(r) = s.works.get_mut(&work) {
        r.waiters -= 1;
    }
    forget_if_idle(&mut s, work);
    true
}

/// `flush_delayed_work(dwork)`: a waiting delay ends now; then `flush_work`.
pub extern "C" fn flush_delayed_work(dwork: u64) -> bool {
    crate::services::sync::might_sleep("kernel/sched/completion.c", 117);
    let mut s = lock();
    if let Some(Pending::Timer { wq, id }) = s.works.get(&dwork).and_then(|r| r.pending) {
        time::cancel_host_timer(id);
        s.works.get_mut(&dwork).expect("pending record").pending = None;
        enqueue(&mut s, wq, dwork);
    }
    flush_work_locked(s, dwork)
}

/// `cancel_work(work)` / `cancel_delayed_work(dwork)`: takes a pending instance off; no wait.
pub extern "C" fn cancel_work(work: u64) -> bool {
    let mut s = lock();
    let was = grab(&mut s, work);
    forget_if_idle(&mut s, work);
    was
}

/// `cancel_work_sync(work)` / `cancel_delayed_work_sync(dwork)`: takes a pending instance off and
/// waits for a running one; queueing the item fails meanwhile. True if it was pending.
pub extern "C" fn cancel_work_sync(work: u64) -> bool {
    crate::services::sync::might_sleep("kernel/sched/completion.c", 117);
    let mut s = lock();
    let was = grab(&mut s, work);
    let Some(rec) = s.works.get_mut(&work) else {
        return was;
    };
    if rec.canceling {
        // Another canceller is at it: wait for it as Linux does.
        while s.works.get(&work).is_some_and(|r| r.canceling) {
            s = wait(s);
        }
        return was;
    }
    rec.canceling = true;
    if CURRENT_WORK.with(|c| c.get()) != work {
        while s.works.get(&work).is_some_and(|r| r.running.is_some()) {
            s = wait(s);
        }
    }
    if let Some(r) = s.works.get_mut(&work) {
        r.canceling = false;
    }
    forget_if_idle(&mut s, work);
    notify();
    was
}

/// `drain_workqueue(wq)`: waits until the queue is empty, chained work included.
pub extern "C" fn drain_workqueue(wq: u64) {
    // Linux takes mutex_lock(&wq->mutex) first.
    crate::services::sync::might_sleep("kernel/locking/mutex.c", 283);
    let mut s = lock();
    let Some(w) = s.wqs.get_mut(&wq) else {
        return;
    };
    w.draining = true;
    let name = w.name.clone();
    let mut rounds = 0u32;
    loop {
        let Some(target) = s.wqs.get(&wq).map(|w| w.next_seq) else {
            return;
        };
        while s
            .wqs
            .get(&wq)
            .is_some_and(|w| w.outstanding.range(..target).next().is_some())
        {
            s = wait(s);
        }
        if s.wqs.get(&wq).is_none_or(|w| w.outstanding.is_empty()) {
            break;
        }
        rounds += 1;
        if rounds == 10 || rounds % 100 == 0 {
            warn(&format!(
                "workqueue {name}: drain_workqueue() isn't complete after {rounds} tries"
            ));
        }
    }
    if let Some(w) = s.wqs.get_mut(&wq) {
        w.draining = false;
    }
}

/// `destroy_workqueue(wq)`: drains, ends the workers, frees the queue. Delayed work still waiting
/// for this queue is dropped with a warning (on Linux it would later use the freed queue).
pub extern "C" fn destroy_workqueue(wq: u64) {
    if (1..=SYSTEM_WQS.len() as u64).any(|n| wq_handle(n) == wq) {
        warn("destroy_workqueue: refusing to destroy a system workqueue");
        return;
    }
    drain_workqueue(wq);
    let mut s = lock();
    let Some(w) = s.wqs.get_mut(&wq) else {
        return;
    };
    w.destroying = true;
    let name = w.name.clone();
    let stale: Vec<u64> = s
        .works
        .iter()
        .filter(|(_, r)| matches!(r.pending, Some(Pending::Timer { wq: q, .. }) if q == wq))
        .map(|(&k, _)| k)
        .collect();
    for work in stale {
        warn(&format!(
            "destroy_workqueue: {name}: delayed work {work:#x} still pending; dropped"
        ));
        grab(&mut s, work);
        forget_if_idle(&mut s, work);
    }
    notify();
    if WORKER_OF.with(|c| c.get()) == wq {
        warn(&format!(
            "destroy_workqueue: {name} destroyed by its own worker"
        ));
    } else {
        while s.wqs.get(&wq).is_some_and(|w| w.workers > 0) {
            s = wait(s);
        }
    }
    s.wqs.remove(&wq);
    notify();
}

/// `current_work()`: the item this worker runs, or NULL.
pub extern "C" fn current_work() -> u64 {
    CURRENT_WORK.with(|c| c.get())
}

// ---------------------------------------------------------------------------------------------
// Unloading (called from `kthread::release_core`).

/// Whether a worker is running a function in `[base, base+len)`.
pub fn busy(base: u64, len: u64) -> bool {
    lock().works.values().any(|r| {
        r.running
            .is_some_and(|(_, _, f)| f >= base && f < base + len)
    })
}

/// Drops pending work of a module being unloaded (its function or the item itself in its memory)
/// with one line each naming the function (`lkm: <m>: work item <fn> still queued at unload:
/// cancelled`, `… delayed work item <fn> still pending at unload: cancelled`); reports running
/// work (`… work item <fn> still running at unload`). True if a worker is still in the module's
/// code.
pub fn module_unloading(k: &Sandbox, m: &crate::kernel::Module) -> bool {
    let (base, len) = m.core;
    let module = &m.name;
    let inside = |a: u64| a >= base && a < base + len;
    let name = |f: u64| crate::unloaded::function_name(m, f);
    let mut lines = Vec::new();
    let mut s = lock();
    let mut pending: Vec<u64> = s
        .works
        .iter()
        .filter(|(_, r)| r.pending.is_some())
        .map(|(&w, _)| w)
        .collect();
    pending.sort_unstable(); // reports in a stable order
    for work in pending {
        let func = mem::read_u64(work + WORK_FUNC_OFFSET).unwrap_or(0);
        if inside(work) || inside(func) {
            let pend = s.works.get(&work).and_then(|r| r.pending);
            lines.push(match pend {
                Some(Pending::Timer { .. }) => format!(
                    "lkm: {module}: delayed work item {} still pending at unload: cancelled",
                    name(func)
                ),
                _ => format!(
                    "lkm: {module}: work item {} still queued at unload: cancelled",
                    name(func)
                ),
            });
            if inside(work) {
                // The item's memory goes away: no pending bit to clear.
                match pend {
                    Some(Pending::Timer { id, .. }) => {
                        time::cancel_host_timer(id);
                        s.works.get_mut(&work).expect("record").pending = None;
                    }
                    _ => {
                        grab(&mut s, work);
                    }
                }
            } else {
                grab(&mut s, work);
            }
            forget_if_idle(&mut s, work);
        }
    }
    let mut busy = false;
    for r in s.works.values() {
        if let Some((_, _, f)) = r.running {
            if inside(f) {
                lines.push(format!(
                    "lkm: {module}: work item {} still running at unload",
                    name(f)
                ));
                busy = true;
            }
        }
    }
    notify();
    drop(s);
    for l in lines {
        k.printk(3, &l);
    }
    busy
}

fn system_wq_export(i: usize) -> ExportEntry {
    fn init<const I: usize>(_: &HashMap<String, crate::services::KernelSymbol>, b: &mut [u8]) {
        let _ = global();
        b.copy_from_slice(&wq_handle(I as u64 + 1).to_le_bytes());
    }
    let f: fn(&HashMap<String, crate::services::KernelSymbol>, &mut [u8]) = match i {
        0 => init::<0>,
        1 => init::<1>,
        2 => init::<2>,
        3 => init::<3>,
        4 => init::<4>,
        5 => init::<5>,
        _ => init::<6>,
    };
    data_export(SYSTEM_WQS[i].0, 8, f)
}

extern "C" {
    fn alloc_workqueue(fmt: *const libc::c_char, flags: u32, max_active: i32, ...) -> u64;
}

pub fn exports() -> Vec<ExportEntry> {
    let mut v = vec![
        func_export("alloc_workqueue", alloc_workqueue as *const () as usize),
        func_export("queue_work_on", queue_work_on as *const () as usize),
        func_export(
            "queue_delayed_work_on",
            queue_delayed_work_on as *const () as usize,
        ),
        func_export(
            "mod_delayed_work_on",
            mod_delayed_work_on as *const () as usize,
        ),
        func_export("__flush_workqueue", __flush_workqueue as *const () as usize),
        func_export("flush_work", flush_work as *const () as usize),
        func_export(
            "flush_delayed_work",
            flush_delayed_work as *const () as usize,
        ),
        func_export("cancel_work", cancel_work as *const () as usize),
        func_export("cancel_work_sync", cancel_work_sync as *const () as usize),
        func_export("cancel_delayed_work", cancel_work as *const () as usize),
        func_export(
            "cancel_delayed_work_sync",
            cancel_work_sync as *const () as usize,
        ),
        func_export("drain_workqueue", drain_workqueue as *const () as usize),
        func_export("destroy_workqueue", destroy_workqueue as *const () as usize),
        func_export("current_work", current_work as *const () as usize),
    ];
    for i in 0..SYSTEM_WQS.len() {
        v.push(system_wq_export(i));
    }
    v
}
