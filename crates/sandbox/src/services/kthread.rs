//! Kernel threads (`<linux/kthread.h>`), and through [`workqueue`] the work queues.
//!
//! A kthread is a host thread that is a task of kind [`TaskKind::Kthread`]: its own pid, its name as
//! `comm`, `PF_KTHREAD`. As on Linux, `kthread_create` returns a thread that sleeps until the first
//! `wake_up_process`; then, unless a stop or park came first, it runs the module's thread function
//! through the guard. The function's return value, or the code given to `kthread_exit` /
//! `kthread_complete_and_exit`, is the thread's exit value, which `kthread_stop` returns. A fault in
//! the function is an oops report; the thread dies (its exit value stays 0, as Linux's `result`
//! does) and the sandbox carries on.
//!
//! `kthread_exit` ends the thread from inside: its C entry (`csrc/kthread.c`) leaves the guarded
//! call as `BUG()` does, with a marker instead of a file name and the code as the line; the thread
//! recognises the marker and exits cleanly, without a report.
//!
//! The record of a thread (its `task_struct` included) lives until `kthread_stop` or until the module
//! whose function it runs is unloaded, so a late `kthread_stop` on a thread that already returned
//! is safe (on Linux it needs `get_task_struct`, which the SDK makes a no-op).
//!
//! Unloading: the sandbox never runs code of an unloaded module. At unload
//! ([`release_core`], called by the loader instead of freeing the module's core memory), threads
//! of the module that never started are stopped before they run; threads still running its code,
//! and work items running its functions, are reported (`lkm: <module>: kthread "<name>" (pid <pid>,
//! <function>) still running at unload`, and `… exited (<code>) after its module was unloaded`
//! when it ends) — they cannot be killed safely — and the module's memory stays mapped,
//! out of the arena's free list, until the last of them ends. Pending work of the module is
//! dropped with a report.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use crate::kernel::{kernel, Module, Sandbox};
use crate::sched::{self, Task, TaskKind};
use crate::services::{func_export, ExportEntry};
use crate::{guard, mem, oops};

pub mod workqueue;

/// `TASK_PARKED`.
pub const TASK_PARKED: u32 = 0x0040;
/// `-EINTR`: the exit value of a thread stopped before it ran.
const EINTR: i32 = libc::EINTR;
/// `ERR_PTR(-ENOMEM)`.
const ERR_NOMEM: u64 = -(libc::ENOMEM as i64) as u64;

/// A kernel thread's host-side record.
pub struct Kthread {
    pub task: Arc<Task>,
    pub func: u64,
    pub data: u64,
    pub name: String,
    /// The module whose text holds `func`: its core memory range and name.
    pub owner: Option<(u64, u64, String)>,
    should_stop: AtomicBool,
    /// Its module was unloaded while it ran: its end is reported.
    orphaned: AtomicBool,
    st: Mutex<KtState>,
    cv: Condvar,
}

#[derive(Default)]
struct KtState {
    /// The thread function has been entered (or is about to be).
    running: bool,
    should_park: bool,
    parked: bool,
    /// The exit value, once the thread has ended.
    exited: Option<i32>,
}

impl Kthread {
    fn lock(&self) -> std::sync::MutexGuard<'_, KtState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn in_range(&self, base: u64, len: u64) -> bool {
        self.func >= base && self.func < base + len
    }
}

fn registry() -> &'static Mutex<HashMap<u64, Arc<Kthread>>> {
    static R: OnceLock<Mutex<HashMap<u64, Arc<Kthread>>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

fn lookup(task: u64) -> Option<Arc<Kthread>> {
    registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&task)
        .cloned()
}

thread_local! {
    static SELF: RefCell<Option<Arc<Kthread>>> = const { RefCell::new(None) };
}

fn this_kthread() -> Option<Arc<Kthread>> {
    SELF.with(|s| s.borrow().clone())
}

extern "C" {
    fn kthread_create_on_node(fn_: u64, data: u64, node: i32, fmt: *const c_char, ...) -> u64;
    fn kthread_create_on_cpu(fn_: u64, data: u64, cpu: u32, fmt: *const c_char) -> u64;
    fn kthread_exit(code: i64) -> !;
    fn kthread_complete_and_exit(comp: u64, code: i64) -> !;
    fn lkm_kthread_mark();
    static lkm_kthread_exit_marker: [c_char; 32];
}

/// Whether a guarded call's "fault" is `kthread_exit`'s jump, and its code.
fn exit_code_of(f: &guard::Fault) -> Option<i32> {
    let marker = std::ptr::addr_of!(lkm_kthread_exit_marker) as *const c_char;
    (f.kind == 1 && f.file == marker).then_some(f.line)
}

fn name_from(ptr: *const c_char) -> String {
    let b = mem::read_cstr(ptr as u64, 63).unwrap_or_default();
    String::from_utf8_lossy(&b).into_owned()
}

/// The Rust side of `kthread_create_on_node`: the name is already formatted.
#[no_mangle]
pub extern "C" fn lkm_kthread_create(func: u64, data: u64, name: *const c_char) -> u64 {
    let name = name_from(name);
    match create(func, data, name) {
        Some(t) => t.task.addr(),
        None => ERR_NOMEM,
    }
}

/// Creates a kthread that sleeps until woken.
pub fn create(func: u64, data: u64, name: String) -> Option<Arc<Kthread>> {
    let owner = kernel()
        .module_at(func)
        .map(|m| (m.core.0, m.core.1, m.name.clone()));
    let (tx, rx) = std::sync::mpsc::channel::<Arc<Kthread>>();
    let thread_name: String = name.chars().take(15).collect();
    let spawned = std::thread::Builder::new()
        .name(thread_name)
        .stack_size(1 << 20)
        .spawn(move || {
            guard::thread_init();
            let task = sched::become_task(TaskKind::Kthread, sched::alloc_pid(), &name);
            // Sleeps until the first wake-up, as a new kthread does.
            task.set_state(sched::TASK_UNINTERRUPTIBLE);
            let kt = Arc::new(Kthread {
                task: task.clone(),
                func,
                data,
                name,
                owner,
                should_stop: AtomicBool::new(false),
                orphaned: AtomicBool::new(false),
                st: Mutex::new(KtState::default()),
                cv: Condvar::new(),
            });
            registry()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(task.addr(), kt.clone());
            SELF.with(|s| *s.borrow_mut() = Some(kt.clone()));
            if tx.send(kt.clone()).is_err() {
                return;
            }
            drop(tx);
            thread_main(&kt);
        });
    if spawned.is_err() {
        return None;
    }
    rx.recv().ok()
}

fn thread_main(kt: &Arc<Kthread>) {
    while kt.task.state() != sched::TASK_RUNNING {
        kt.task.sleep(None);
    }
    let start = {
        let mut st = kt.lock();
        let go = !kt.should_stop.load(Ordering::Acquire);
        st.running = go;
        go
    };
    let code = if start {
        parkme(kt);
        // SAFETY: marks this host thread as a kthread for kthread_exit's check.
        unsafe { lkm_kthread_mark() };
        // SAFETY: `func` is the module's `int (*)(void *)` thread function; its module's text stays
        // mapped while this thread runs it (release_core defers the free).
        match unsafe { guard::call(kt.func, &[kt.data]) } {
            Ok(v) => v as i32,
            Err(f) => match exit_code_of(&f) {
                Some(code) => code,
                None => {
                    oops::report(&f, "kthread");
                    0
                }
            },
        }
    } else {
        -EINTR
    };
    kt.task.set_state(sched::TASK_DEAD);
    {
        let mut st = kt.lock();
        st.exited = Some(code);
        st.running = false;
        kt.cv.notify_all();
    }
    if kt.orphaned.load(Ordering::Acquire) {
        let module = kt.owner.as_ref().map(|o| o.2.as_str()).unwrap_or("?");
        kernel().printk(
            4,
            &format!(
                "lkm: {module}: kthread \"{}\" (pid {}) exited ({code}) after its module was unloaded",
                kt.name,
                kt.task.pid()
            ),
        );
    }
    SELF.with(|s| *s.borrow_mut() = None);
    reap_deferred();
}

fn parkme(kt: &Kthread) {
    let _parked = kt.task.blocked(TASK_PARKED);
    let mut st = kt.lock();
    while st.should_park {
        st.parked = true;
        kt.task.set_state(TASK_PARKED);
        kt.cv.notify_all();
        st = kt.cv.wait(st).unwrap_or_else(|e| e.into_inner());
    }
    st.parked = false;
    kt.task.set_state(sched::TASK_RUNNING);
}

fn warn(msg: &str) {
    kernel().printk(4, msg);
}

/// `kthread_stop(k)`: tells the thread to stop, wakes it, waits for its end; its exit value.
pub extern "C" fn kthread_stop(task: u64) -> i32 {
    let Some(kt) = lookup(task) else {
        warn(&format!("kthread_stop: {task:#x} is not a kthread"));
        return -libc::EINVAL;
    };
    if this_kthread().is_some_and(|s| Arc::ptr_eq(&s, &kt)) {
        warn(&format!("kthread_stop: {} stops itself", kt.name));
        return -libc::EDEADLK;
    }
    // Linux waits in wait_for_completion(&kthread->exited).
    super::sync::might_sleep("kernel/sched/completion.c", 117);
    let _blocked = sched::blocked(sched::TASK_UNINTERRUPTIBLE);
    kt.should_stop.store(true, Ordering::Release);
    let code = {
        let mut st = kt.lock();
        st.should_park = false;
        kt.cv.notify_all();
        drop(st);
        kt.task.wake();
        let mut st = kt.lock();
        loop {
            if let Some(c) = st.exited {
                break c;
            }
            st = kt.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    };
    registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&task);
    code
}

/// `kthread_stop_put(k)`: `kthread_stop` and `put_task_struct` (a no-op here).
pub extern "C" fn kthread_stop_put(task: u64) -> i32 {
    kthread_stop(task)
}

/// `kthread_should_stop()`.
pub extern "C" fn kthread_should_stop() -> bool {
    this_kthread().is_some_and(|k| k.should_stop.load(Ordering::Acquire))
}

/// `kthread_should_park()`.
pub extern "C" fn kthread_should_park() -> bool {
    this_kthread().is_some_and(|k| k.lock().should_park)
}

/// `kthread_parkme()`: parks while a park is requested.
pub extern "C" fn kthread_parkme() {
    if let Some(k) = this_kthread() {
        parkme(&k);
    }
}

/// `kthread_park(k)`: asks the thread to park and waits until it has; `-ENOSYS` if it has ended.
pub extern "C" fn kthread_park(task: u64) -> i32 {
    let Some(kt) = lookup(task) else {
        return -libc::ENOSYS;
    };
    let mut st = kt.lock();
    if st.exited.is_some() {
        return -libc::ENOSYS;
    }
    st.should_park = true;
    drop(st);
    if this_kthread().is_some_and(|s| Arc::ptr_eq(&s, &kt)) {
        return 0;
    }
    kt.task.wake();
    // Linux waits in wait_for_completion(&kthread->parked).
    super::sync::might_sleep("kernel/sched/completion.c", 117);
    let _blocked = sched::blocked(sched::TASK_UNINTERRUPTIBLE);
    let mut st = kt.lock();
    while !st.parked && st.exited.is_none() && st.should_park {
        st = kt.cv.wait(st).unwrap_or_else(|e| e.into_inner());
    }
    if st.parked {
        // Our wake-up may have come after the thread parked.
        kt.task.set_state(TASK_PARKED);
    }
    0
}

/// `kthread_unpark(k)`.
pub extern "C" fn kthread_unpark(task: u64) {
    if let Some(kt) = lookup(task) {
        let mut st = kt.lock();
        st.should_park = false;
        kt.cv.notify_all();
    }
}

/// `kthread_bind(k, cpu)`: one CPU; nothing to do.
pub extern "C" fn kthread_bind(_task: u64, _cpu: u32) {}

/// `kthread_data(k)`: the `data` the thread was created with.
pub extern "C" fn kthread_data(task: u64) -> u64 {
    lookup(task).map(|k| k.data).unwrap_or(0)
}

/// `kthread_func(k)`: the thread function.
pub extern "C" fn kthread_func(task: u64) -> u64 {
    lookup(task).map(|k| k.func).unwrap_or(0)
}

/// `complete(comp)` for `kthread_complete_and_exit`, through the export table, so that this area
/// does not depend on how completions are built.
#[no_mangle]
pub extern "C" fn lkm_kthread_complete(comp: u64) {
    match kernel().ksyms.get("complete") {
        Some(s) => {
            // SAFETY: the export `complete` is `void complete(struct completion *)`, reached through
            // its trampoline; `comp` is the module's pointer, which the service checks itself.
            let f: extern "C" fn(u64) = unsafe { std::mem::transmute(s.addr as usize) };
            f(comp);
        }
        None => warn("kthread_complete_and_exit: completions are not available"),
    }
}

// ---------------------------------------------------------------------------------------------
// Unloading.

/// Module memory kept past its unload because threads still run its code.
struct Deferred {
    base: u64,
    len: u64,
    name: String,
}

static DEFERRED_COUNT: AtomicUsize = AtomicUsize::new(0);

fn deferred() -> &'static Mutex<Vec<Deferred>> {
    static D: OnceLock<Mutex<Vec<Deferred>>> = OnceLock::new();
    D.get_or_init(Default::default)
}

/// Whether a kthread is still running code in `[base, base+len)`.
fn kthreads_busy(base: u64, len: u64) -> bool {
    registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .any(|k| k.in_range(base, len) && k.lock().running)
}

/// Frees the memory of unloaded modules whose last thread has ended.
pub fn reap_deferred() {
    if DEFERRED_COUNT.load(Ordering::Acquire) == 0 {
        return;
    }
    let mut d = deferred().lock().unwrap_or_else(|e| e.into_inner());
    d.retain(|m| {
        if kthreads_busy(m.base, m.len) || workqueue::busy(m.base, m.len) {
            return true;
        }
        kernel().arena.free(m.base as usize, m.len as usize);
        kernel().printk(
            6,
            &format!(
                "lkm: {}: last thread left the module's code; its memory is freed",
                m.name
            ),
        );
        DEFERRED_COUNT.fetch_sub(1, Ordering::AcqRel);
        false
    });
}

/// Called by the loader's `free_module` in place of freeing the module's core memory: stops the
/// module's threads that never ran, drops its pending work, reports threads and work still running
/// its code, and frees the memory now or when the last of them ends.
pub fn release_core(k: &Sandbox, m: &Module) {
    let (base, len) = m.core;
    let mut busy = false;
    let mine: Vec<Arc<Kthread>> = {
        let mut r = registry().lock().unwrap_or_else(|e| e.into_inner());
        let v: Vec<Arc<Kthread>> = r
            .values()
            .filter(|t| t.in_range(base, len))
            .cloned()
            .collect();
        // Records of ended threads go: nobody can stop them any more.
        r.retain(|_, t| !(t.in_range(base, len) && t.lock().exited.is_some()));
        v
    };
    for t in mine {
        let mut st = t.lock();
        if st.exited.is_some() {
            continue;
        }
        let what = format!(
            "kthread \"{}\" (pid {}, {})",
            t.name,
            t.task.pid(),
            crate::unloaded::function_name(m, t.func)
        );
        if st.running {
            busy = true;
            t.orphaned.store(true, Ordering::Release);
            k.printk(
                3,
                &format!("lkm: {}: {what} still running at unload", m.name),
            );
        } else {
            // Never started: it ends without running the module's function.
            k.printk(
                4,
                &format!("lkm: {}: {what} never woken at unload: stopped", m.name),
            );
            t.should_stop.store(true, Ordering::Release);
            st.should_park = false;
            t.cv.notify_all();
            drop(st);
            t.task.wake();
        }
    }
    if workqueue::module_unloading(k, m) {
        busy = true;
    }
    if busy {
        k.printk(
            3,
            &format!(
                "lkm: {}: module memory kept until its threads leave its code",
                m.name
            ),
        );
        deferred()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Deferred {
                base,
                len,
                name: m.name.clone(),
            });
        DEFERRED_COUNT.fetch_add(1, Ordering::AcqRel);
        // A thread may have ended meanwhile.
        reap_deferred();
    } else {
        k.arena.free(base as usize, len as usize);
    }
}

/// This area's exports.
pub fn exports() -> Vec<ExportEntry> {
    let mut v = vec![
        func_export(
            "kthread_create_on_node",
            kthread_create_on_node as *const () as usize,
        ),
        func_export(
            "kthread_create_on_cpu",
            kthread_create_on_cpu as *const () as usize,
        ),
        func_export("kthread_stop", kthread_stop as *const () as usize),
        func_export("kthread_stop_put", kthread_stop_put as *const () as usize),
        func_export(
            "kthread_should_stop",
            kthread_should_stop as *const () as usize,
        ),
        func_export(
            "kthread_should_park",
            kthread_should_park as *const () as usize,
        ),
        func_export("kthread_parkme", kthread_parkme as *const () as usize),
        func_export("kthread_park", kthread_park as *const () as usize),
        func_export("kthread_unpark", kthread_unpark as *const () as usize),
        func_export("kthread_bind", kthread_bind as *const () as usize),
        func_export("kthread_data", kthread_data as *const () as usize),
        func_export("kthread_func", kthread_func as *const () as usize),
        func_export("kthread_exit", kthread_exit as *const () as usize),
        func_export(
            "kthread_complete_and_exit",
            kthread_complete_and_exit as *const () as usize,
        ),
    ];
    v.extend(workqueue::exports());
    v
}
