//! Kernel services: locking, waiting and RCU (issue 5, item 5).
//!
//! Every lock keeps its state in the module's own struct (docs/SDK-ABI.md, "Locking"), so static
//! initialisers (`DEFINE_MUTEX`, `DEFINE_SPINLOCK`, `DECLARE_WAIT_QUEUE_HEAD`, …) work. The words in
//! module memory are only touched by the C entry points in `csrc/sync.c` (a bad lock pointer then
//! faults in C and module frames, which the guard unwinds, never in Rust). This file holds what they
//! build on:
//!
//! - the *park* queues: a host-side FIFO of sleeping tasks per lock address, over the task protocol
//!   of [`crate::sched`]. A lock is handed to a waiter by taking it off the queue and waking it, so
//!   mutexes, semaphores and rw-semaphores are granted in arrival order, and a waiter that is no
//!   longer queued when it wakes owns what it waited for;
//! - the sleeping-in-atomic check (`BUG: sleeping function called from invalid context`), run by
//!   every call that may block;
//! - signals as the kernel tests them (`signal_pending_state`);
//! - RCU: read-side nesting per thread, grace periods over two reader counts (an epoch flip, then a
//!   wait for the old epoch's readers), and `call_rcu`/`kfree_rcu` callbacks run after a grace period
//!   on the `rcuc/0` thread, through the guard.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::{Export, ExportEntry, Kind};
use crate::kernel::{kernel, taint};
use crate::sched::{self, Task, TaskKind};

// ---------------------------------------------------------------------------------------------
// Park queues.

struct Waiter {
    task: Arc<Task>,
    /// What the waiter wants (rw-semaphores: 0 writer, 1 reader).
    tag: u32,
}

type Queues = HashMap<u64, VecDeque<Waiter>>;

fn queues() -> std::sync::MutexGuard<'static, Queues> {
    static Q: OnceLock<Mutex<Queues>> = OnceLock::new();
    Q.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Queues the current task on `key` (once) and sets its state.
#[no_mangle]
pub extern "C" fn lkm_park_enqueue(key: u64, state: u32, tag: u32) {
    let t = sched::current();
    let mut q = queues();
    let list = q.entry(key).or_default();
    if !list.iter().any(|w| Arc::ptr_eq(&w.task, &t)) {
        list.push_back(Waiter {
            task: t.clone(),
            tag,
        });
    }
    t.set_state(state);
}

/// Sleeps (if the task's state says so) at most `timeout` jiffies (`MAX_SCHEDULE_TIMEOUT`:
/// until woken); returns the jiffies left.
#[no_mangle]
pub extern "C" fn lkm_park_sleep(timeout: i64) -> i64 {
    super::task::schedule_timeout(timeout)
}

/// Whether the current task is still queued on `key` (not handed the lock yet).
#[no_mangle]
pub extern "C" fn lkm_park_queued(key: u64) -> i32 {
    let t = sched::current();
    queues()
        .get(&key)
        .is_some_and(|l| l.iter().any(|w| Arc::ptr_eq(&w.task, &t))) as i32
}

/// Takes the current task off `key`'s queue (a timeout or a signal) and makes it running.
#[no_mangle]
pub extern "C" fn lkm_park_cancel(key: u64) {
    let t = sched::current();
    let mut q = queues();
    if let Some(l) = q.get_mut(&key) {
        l.retain(|w| !Arc::ptr_eq(&w.task, &t));
        if l.is_empty() {
            q.remove(&key);
        }
    }
    t.set_state(sched::TASK_RUNNING);
}

/// Takes the first waiter off `key`'s queue; its task address, or 0. The caller wakes it.
#[no_mangle]
pub extern "C" fn lkm_park_pop(key: u64) -> u64 {
    let mut q = queues();
    let Some(l) = q.get_mut(&key) else { return 0 };
    let w = l.pop_front();
    if l.is_empty() {
        q.remove(&key);
    }
    w.map(|w| w.task.addr()).unwrap_or(0)
}

/// The first waiter's tag, or -1 when none waits.
#[no_mangle]
pub extern "C" fn lkm_park_front_tag(key: u64) -> i32 {
    queues()
        .get(&key)
        .and_then(|l| l.front())
        .map(|w| w.tag as i32)
        .unwrap_or(-1)
}

#[no_mangle]
pub extern "C" fn lkm_park_len(key: u64) -> u64 {
    queues().get(&key).map(|l| l.len() as u64).unwrap_or(0)
}

#[no_mangle]
pub extern "C" fn lkm_park_wake(task: u64) {
    if let Some(t) = sched::task_by_addr(task) {
        t.wake();
    }
}

/// `try_to_wake_up(p, state, 0)`: wakes `task` if its state is one of `state`'s.
#[no_mangle]
pub extern "C" fn lkm_try_to_wake_up(task: u64, state: u32) -> i32 {
    match sched::task_by_addr(task) {
        Some(t) if t.state() & state != 0 => t.wake() as i32,
        _ => 0,
    }
}

#[no_mangle]
pub extern "C" fn lkm_set_current_state(state: u32) {
    sched::current().set_state(state);
}

#[no_mangle]
pub extern "C" fn lkm_sync_current() -> u64 {
    sched::current().addr()
}

#[no_mangle]
pub extern "C" fn lkm_sync_preempt_add(n: i32) {
    sched::preempt_count_add(n as u32);
}

#[no_mangle]
pub extern "C" fn lkm_sync_preempt_sub(n: i32) {
    sched::preempt_count_sub(n as u32);
}

/// `signal_pending_state(state, current)`. A pending signal here is the client going away (its
/// process was killed): a fatal signal, so killable sleeps end too.
#[no_mangle]
pub extern "C" fn lkm_signal_pending_state(state: u32) -> i32 {
    if state & (sched::TASK_INTERRUPTIBLE | sched::TASK_WAKEKILL) == 0 {
        return 0;
    }
    sched::current().sigpending.load(Ordering::Acquire) as i32
}

// ---------------------------------------------------------------------------------------------
// Signals: the client going away.

/// Watches a client connection while the server thread serves it. If the client hangs up (its
/// process exited or was killed) while a request runs, the request's task gets a pending signal
/// and is woken, as a process killed inside a system call is: interruptible and killable sleeps
/// end with `-ERESTARTSYS`/`-EINTR`, and `signal_pending()` is true. One thread per connection;
/// dropping the watch stops it.
pub struct HangupWatch {
    shared: Arc<HangupShared>,
    stop_fd: i32,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct HangupShared {
    task: Arc<Task>,
    running: std::sync::atomic::AtomicBool,
    gone: std::sync::atomic::AtomicBool,
}

impl HangupShared {
    /// The client is gone: as a process killed in a system call, SIGKILL is pending.
    fn signal(&self) {
        self.task.raise_signals(1 << (libc::SIGKILL - 1));
    }
}

impl HangupWatch {
    /// Starts watching `conn` on behalf of the current (serving) thread's task.
    pub fn new(conn: &std::os::unix::net::UnixStream) -> Option<HangupWatch> {
        use std::os::unix::io::AsRawFd;
        let fd = conn.as_raw_fd();
        // SAFETY: creates a new eventfd owned by this watch (closed in Drop).
        let stop_fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if stop_fd < 0 {
            return None;
        }
        let shared = Arc::new(HangupShared {
            task: sched::current(),
            running: false.into(),
            gone: false.into(),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("lkm-hangup".into())
            .spawn(move || {
                let mut fds = [
                    libc::pollfd {
                        fd,
                        events: libc::POLLRDHUP,
                        revents: 0,
                    },
                    libc::pollfd {
                        fd: stop_fd,
                        events: libc::POLLIN,
                        revents: 0,
                    },
                ];
                loop {
                    // SAFETY: polls two descriptors that stay open until this thread is joined.
                    let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
                    if n < 0 {
                        if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                        {
                            continue;
                        }
                        return;
                    }
                    if fds[1].revents != 0 {
                        return;
                    }
                    if fds[0].revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0 {
                        s.gone.store(true, Ordering::SeqCst);
                        if s.running.load(Ordering::SeqCst) {
                            s.signal();
                        }
                        return;
                    }
                }
            })
            .ok()?;
        Some(HangupWatch {
            shared,
            stop_fd,
            thread: Some(thread),
        })
    }

    /// A request starts: a hang-up from now on signals the task.
    pub fn begin(&self) {
        self.shared.running.store(true, Ordering::SeqCst);
        if self.shared.gone.load(Ordering::SeqCst) {
            self.shared.signal();
        }
    }

    /// The request is done.
    pub fn end(&self) {
        self.shared.running.store(false, Ordering::SeqCst);
    }
}

impl Drop for HangupWatch {
    fn drop(&mut self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes to our eventfd, then closes it after the watcher has exited.
        unsafe { libc::write(self.stop_fd, (&one as *const u64).cast(), 8) };
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // SAFETY: the descriptor is ours and no longer used.
        unsafe { libc::close(self.stop_fd) };
    }
}

// ---------------------------------------------------------------------------------------------
// Sleeping in atomic context.

extern "C" {
    fn lkm_irqs_disabled() -> i32;
}

/// `__might_sleep(file, line)` as `kernel/sched/core.c` reports it: called by every function that
/// may block; in atomic context (a spinlock held, preemption or softirqs disabled, interrupts off,
/// inside an RCU read-side section) it logs the BUG report, at most once a second, taints W, and
/// lets the call go on.
/// Also exported as `__might_sleep(file, line)`, the check at a module's call site (`wait_event*()`);
/// `file` is read through the checked copy either way.
#[no_mangle]
pub extern "C" fn lkm_sync_might_sleep(file: u64, line: i32) {
    let file = crate::mem::read_cstr(file, 4096).unwrap_or_default();
    might_sleep(&String::from_utf8_lossy(&file), line);
}

/// The sleeping-in-atomic check every blocking path runs (the only reporter: the memory area's
/// `might_alloc` calls it too, with its own location). Returns whether the context was invalid
/// (reported or, within a second of the last report, only counted).
pub(crate) fn might_sleep(file: &str, line: i32) -> bool {
    let pc = sched::preempt_count();
    // SAFETY: reads a thread-local flag in csrc/sync.c.
    let irqs = unsafe { lkm_irqs_disabled() };
    let rcu = RCU_DEPTH.with(|d| d.get());
    if pc == 0 && irqs == 0 && rcu == 0 {
        return false;
    }
    static PREV: Mutex<Option<Instant>> = Mutex::new(None);
    {
        let mut prev = PREV.lock().unwrap_or_else(|e| e.into_inner());
        if prev.is_some_and(|p| p.elapsed() < Duration::from_secs(1)) {
            return true;
        }
        *prev = Some(Instant::now());
    }
    let t = sched::current();
    let k = kernel();
    k.printk(
        3,
        &format!("BUG: sleeping function called from invalid context at {file}:{line}"),
    );
    k.printk(
        3,
        &format!(
            "in_atomic(): {}, irqs_disabled(): {irqs}, non_block: 0, pid: {}, name: {}",
            (pc != 0) as i32,
            t.pid(),
            t.comm()
        ),
    );
    k.printk(3, &format!("preempt_count: {pc:x}, expected: 0"));
    k.printk(3, &format!("RCU nest depth: {rcu}, expected: 0"));
    crate::oops::dump_stack();
    k.add_taint(taint::WARN);
    true
}

// ---------------------------------------------------------------------------------------------
// RCU.

thread_local! {
    /// `rcu_read_lock()` nesting of this thread.
    static RCU_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The epoch whose reader count the outermost `rcu_read_lock()` raised.
    static RCU_SLOT: Cell<usize> = const { Cell::new(0) };
}

static RCU_EPOCH: AtomicUsize = AtomicUsize::new(0);
static RCU_READERS: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

/// `__rcu_read_lock()` (what `rcu_read_lock()` calls in a preemptible-RCU kernel).
pub extern "C" fn __rcu_read_lock() {
    let d = RCU_DEPTH.with(|d| d.get());
    if d == 0 {
        loop {
            let e = RCU_EPOCH.load(Ordering::SeqCst);
            RCU_READERS[e].fetch_add(1, Ordering::SeqCst);
            if RCU_EPOCH.load(Ordering::SeqCst) == e {
                RCU_SLOT.with(|s| s.set(e));
                break;
            }
            // A grace period started meanwhile: count this reader in the new epoch.
            RCU_READERS[e].fetch_sub(1, Ordering::SeqCst);
        }
    }
    RCU_DEPTH.with(|c| c.set(d + 1));
}

/// `__rcu_read_unlock()`.
pub extern "C" fn __rcu_read_unlock() {
    let d = RCU_DEPTH.with(|d| d.get());
    if d == 0 {
        return;
    }
    RCU_DEPTH.with(|c| c.set(d - 1));
    if d == 1 {
        let e = RCU_SLOT.with(|s| s.get());
        RCU_READERS[e].fetch_sub(1, Ordering::SeqCst);
    }
}

/// This thread's `rcu_read_lock()` nesting.
pub(crate) fn rcu_depth() -> u32 {
    RCU_DEPTH.with(|d| d.get())
}

/// Leaves read-side sections until the nesting is `depth` (after an oops inside one: Linux's
/// `exit_rcu` does this for a dying task, so grace periods do not wait for it forever).
pub(crate) fn rcu_unwind_to(depth: u32) {
    while rcu_depth() > depth {
        __rcu_read_unlock();
    }
}

/// `rcu_preempt_depth()`.
pub extern "C" fn __lkm_rcu_read_depth() -> i32 {
    RCU_DEPTH.with(|d| d.get()) as i32
}

/// One grace period: every reader that was inside a read-side section when it began has left.
fn grace_period() {
    static GP: Mutex<()> = Mutex::new(());
    let _g = GP.lock().unwrap_or_else(|e| e.into_inner());
    let old = RCU_EPOCH.load(Ordering::SeqCst);
    RCU_EPOCH.store(old ^ 1, Ordering::SeqCst);
    let mut spins = 0u32;
    while RCU_READERS[old].load(Ordering::SeqCst) != 0 {
        if spins < 64 {
            std::thread::yield_now();
            spins += 1;
        } else {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// `synchronize_rcu()`.
pub extern "C" fn synchronize_rcu() {
    if RCU_DEPTH.with(|d| d.get()) != 0 {
        // It would wait for itself forever; Linux's lockdep says this and the task hangs.
        kernel().printk(
            4,
            "WARNING: suspicious RCU usage: Illegal synchronize_rcu() in RCU read-side critical section",
        );
        return;
    }
    lkm_sync_might_sleep(c"kernel/rcu/tree.c".as_ptr() as u64, 4073);
    let _blocked = sched::blocked(sched::TASK_UNINTERRUPTIBLE);
    grace_period();
}

enum Callback {
    /// `call_rcu(head, func)`, with the module `func` belonged to when it was queued: if that
    /// module is gone, even if another now sits at the same address, the callback is skipped.
    Call {
        head: u64,
        func: u64,
        owner: Option<std::sync::Weak<crate::kernel::Module>>,
    },
    /// `kvfree_call_rcu(head, ptr)`: `kvfree(ptr)`.
    Free { ptr: u64 },
}

struct RcuState {
    queued: AtomicU64,
    done: Mutex<u64>,
    done_cv: Condvar,
    tx: Mutex<Sender<Callback>>,
}

fn rcu_state() -> &'static RcuState {
    static S: OnceLock<RcuState> = OnceLock::new();
    S.get_or_init(|| {
        let (tx, rx) = channel::<Callback>();
        let _ = std::thread::Builder::new()
            .name("rcuc/0".into())
            .spawn(move || {
                sched::become_task(TaskKind::Softirq, sched::alloc_pid(), "rcuc/0");
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    batch.extend(rx.try_iter());
                    grace_period();
                    // Callbacks run as RCU_SOFTIRQ handlers do: in softirq context.
                    sched::preempt_count_add(sched::SOFTIRQ_OFFSET);
                    for cb in &batch {
                        run_callback(cb);
                    }
                    sched::preempt_count_sub(sched::SOFTIRQ_OFFSET);
                    let s = rcu_state();
                    *s.done.lock().unwrap_or_else(|e| e.into_inner()) += batch.len() as u64;
                    s.done_cv.notify_all();
                }
            });
        RcuState {
            queued: AtomicU64::new(0),
            done: Mutex::new(0),
            done_cv: Condvar::new(),
            tx: Mutex::new(tx),
        }
    })
}

fn run_callback(cb: &Callback) {
    let k = kernel();
    match *cb {
        Callback::Call {
            head,
            func,
            ref owner,
        } => {
            let same_module = match (owner.as_ref().and_then(|w| w.upgrade()), k.module_at(func)) {
                (Some(then), Some(now)) => std::sync::Arc::ptr_eq(&then, &now),
                _ => false,
            };
            if !same_module {
                k.printk(
                    4,
                    &format!(
                        "rcu: callback {} for {head:#x} is in no loaded module (unloaded without rcu_barrier()?): skipped",
                        crate::unloaded::symbolize(func)
                    ),
                );
                return;
            }
            // SAFETY: `func` lies in a loaded module: an `rcu_callback_t` taking the head.
            if let Err(fault) = unsafe { crate::guard::call(func, &[head]) } {
                crate::oops::report(&fault, "rcu_do_batch");
            }
        }
        Callback::Free { ptr } => kvfree(ptr),
    }
}

/// Frees through the memory service's `kvfree` (or `kfree`) export, found in the export table
/// when the callback runs.
fn kvfree(ptr: u64) {
    let k = kernel();
    let Some(f) = k.ksyms.get("kvfree").or_else(|| k.ksyms.get("kfree")) else {
        k.once("kfree_rcu without kfree", || {
            k.printk(
                4,
                "kfree_rcu: no kfree in this kernel; the object is leaked",
            )
        });
        return;
    };
    // SAFETY: the export's trampoline jumps to the host's kvfree/kfree, which takes one pointer
    // and checks it.
    if let Err(fault) = unsafe { crate::guard::call(f.addr, &[ptr]) } {
        crate::oops::report(&fault, "kvfree_rcu");
    }
}

fn queue_callback(cb: Callback) {
    let s = rcu_state();
    s.queued.fetch_add(1, Ordering::AcqRel);
    let _ = s.tx.lock().unwrap_or_else(|e| e.into_inner()).send(cb);
}

/// `call_rcu(head, func)`: `func(head)` after a grace period, on the RCU thread.
pub extern "C" fn call_rcu(head: u64, func: u64) {
    let owner = kernel()
        .module_at(func)
        .map(|m| std::sync::Arc::downgrade(&m));
    queue_callback(Callback::Call { head, func, owner });
}

/// `kvfree_call_rcu(head, ptr)` (`kfree_rcu(ptr, field)`): frees `ptr` after a grace period. Without
/// a head (`kfree_rcu_mightsleep`), waits for the grace period here and frees.
pub extern "C" fn kvfree_call_rcu(head: u64, ptr: u64) {
    if ptr == 0 {
        return;
    }
    if head == 0 {
        synchronize_rcu();
        kvfree(ptr);
        return;
    }
    queue_callback(Callback::Free { ptr });
}

/// `rcu_barrier()`: waits until every callback queued so far has run.
pub extern "C" fn rcu_barrier() {
    // Linux takes mutex_lock(&rcu_state.barrier_mutex) first.
    might_sleep("kernel/locking/mutex.c", 283);
    let _blocked = sched::blocked(sched::TASK_UNINTERRUPTIBLE);
    let s = rcu_state();
    let target = s.queued.load(Ordering::Acquire);
    let mut done = s.done.lock().unwrap_or_else(|e| e.into_inner());
    while *done < target {
        done = s.done_cv.wait(done).unwrap_or_else(|e| e.into_inner());
    }
}

// ---------------------------------------------------------------------------------------------
// The export table.

fn export(name: &'static str, gpl_only: bool, addr: usize) -> ExportEntry {
    ExportEntry(Export {
        name,
        gpl_only,
        kind: Kind::Func(addr),
    })
}

/// Declares the C entry points of `csrc/sync.c` and lists them as exports.
macro_rules! c_exports {
    ($($gpl:literal $name:ident),* $(,)?) => {{
        // Declared without their signatures, only to take their addresses (callers elsewhere
        // declare the real ones).
        #[allow(clashing_extern_declarations)]
        extern "C" {
            $(fn $name();)*
        }
        vec![$(export(stringify!($name), $gpl, $name as *const () as usize)),*]
    }};
}

/// This area's exports.
pub fn exports() -> Vec<ExportEntry> {
    let mut v = c_exports![
        // spinlock_t, raw_spinlock_t
        false _raw_spin_lock, false _raw_spin_unlock, false _raw_spin_lock_irq,
        false _raw_spin_unlock_irq, false _raw_spin_lock_irqsave,
        false _raw_spin_unlock_irqrestore, false _raw_spin_lock_bh, false _raw_spin_unlock_bh,
        false _raw_spin_trylock, false _raw_spin_trylock_bh,
        // rwlock_t
        false _raw_read_lock, false _raw_read_unlock, false _raw_read_lock_irq,
        false _raw_read_unlock_irq, false _raw_read_lock_irqsave,
        false _raw_read_unlock_irqrestore, false _raw_read_lock_bh, false _raw_read_unlock_bh,
        false _raw_read_trylock,
        false _raw_write_lock, false _raw_write_unlock, false _raw_write_lock_irq,
        false _raw_write_unlock_irq, false _raw_write_lock_irqsave,
        false _raw_write_unlock_irqrestore, false _raw_write_lock_bh, false _raw_write_unlock_bh,
        false _raw_write_trylock,
        // interrupt flags
        false __lkm_irq_save, false __lkm_irq_restore, false __lkm_save_flags,
        false __lkm_irq_disable, false __lkm_irq_enable,
        // struct mutex
        false __mutex_init, false mutex_lock, false mutex_lock_interruptible,
        false mutex_lock_killable, true mutex_lock_io, false mutex_trylock, false mutex_unlock,
        false atomic_dec_and_mutex_lock,
        // struct semaphore
        false down, false down_interruptible, false down_killable,
        false down_timeout, false down_trylock, false up,
        // struct rw_semaphore
        false __init_rwsem, false down_read, false down_read_interruptible,
        false down_read_killable, false down_read_trylock, false down_write,
        false down_write_killable, false down_write_trylock, false up_read, false up_write,
        false downgrade_write,
        // struct completion
        false complete, false complete_all, false wait_for_completion,
        false wait_for_completion_io, false wait_for_completion_timeout,
        false wait_for_completion_io_timeout, false wait_for_completion_interruptible,
        false wait_for_completion_interruptible_timeout, false wait_for_completion_killable,
        false wait_for_completion_killable_timeout, false try_wait_for_completion,
        false completion_done,
        // wait queues
        false __init_waitqueue_head, false default_wake_function,
        false autoremove_wake_function, false woken_wake_function, false init_wait_entry,
        false add_wait_queue, false add_wait_queue_exclusive, false remove_wait_queue,
        false prepare_to_wait, false prepare_to_wait_exclusive, false prepare_to_wait_event,
        false finish_wait, false __wake_up, false __wake_up_locked, false __wake_up_locked_key,
        false __wake_up_sync, false __wake_up_sync_key, false wait_woken,
        // refcount_t
        false refcount_warn_saturate,
    ];
    v.extend([
        export(
            "__rcu_read_lock",
            true,
            __rcu_read_lock as *const () as usize,
        ),
        export(
            "__rcu_read_unlock",
            true,
            __rcu_read_unlock as *const () as usize,
        ),
        export(
            "__might_sleep",
            false,
            lkm_sync_might_sleep as *const () as usize,
        ),
        export(
            "__lkm_rcu_read_depth",
            false,
            __lkm_rcu_read_depth as *const () as usize,
        ),
        export(
            "synchronize_rcu",
            true,
            synchronize_rcu as *const () as usize,
        ),
        export(
            "synchronize_rcu_expedited",
            true,
            synchronize_rcu as *const () as usize,
        ),
        export("call_rcu", true, call_rcu as *const () as usize),
        export(
            "kvfree_call_rcu",
            true,
            kvfree_call_rcu as *const () as usize,
        ),
        export("rcu_barrier", true, rcu_barrier as *const () as usize),
    ]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn park_queues_are_fifo_and_cancellable() {
        let me = sched::current();
        lkm_park_enqueue(0x1000, sched::TASK_UNINTERRUPTIBLE, 1);
        lkm_park_enqueue(0x1000, sched::TASK_UNINTERRUPTIBLE, 1);
        assert_eq!(lkm_park_len(0x1000), 1, "a task is queued once");
        assert_eq!(lkm_park_front_tag(0x1000), 1);
        assert_eq!(lkm_park_queued(0x1000), 1);
        assert_eq!(lkm_park_pop(0x1000), me.addr());
        assert_eq!(lkm_park_queued(0x1000), 0);
        assert_eq!(lkm_park_pop(0x1000), 0);
        assert_eq!(lkm_park_front_tag(0x1000), -1);
        lkm_park_enqueue(0x2000, sched::TASK_INTERRUPTIBLE, 0);
        lkm_park_cancel(0x2000);
        assert_eq!(lkm_park_len(0x2000), 0);
        assert_eq!(me.state(), sched::TASK_RUNNING);
    }

    #[test]
    fn rcu_read_sections_nest_and_grace_periods_wait_for_readers() {
        __rcu_read_lock();
        __rcu_read_lock();
        assert_eq!(__lkm_rcu_read_depth(), 2);
        let reader_left = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let r = reader_left.clone();
        let gp = std::thread::spawn(move || {
            grace_period();
            r.load(Ordering::SeqCst)
        });
        std::thread::sleep(Duration::from_millis(30));
        __rcu_read_unlock();
        reader_left.store(true, Ordering::SeqCst);
        __rcu_read_unlock();
        assert!(
            gp.join().unwrap(),
            "the grace period ended before the reader left"
        );
        assert_eq!(__lkm_rcu_read_depth(), 0);
    }
}
