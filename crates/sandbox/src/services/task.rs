//! Exports of the task core (`crate::sched`): `current`, sleeping and waking, preemption counts.

use crate::sched;
use crate::services::{func_export, ExportEntry};

/// `get_current()`: what `current` is in module code.
pub extern "C" fn get_current() -> u64 {
    sched::current().addr()
}

/// `__schedule_bug()`, what `schedule_debug()` reports when a task schedules in atomic context:
/// `BUG: scheduling while atomic: comm/pid/0x%08x` (the count with `__schedule`'s own preemption
/// disable), the modules, a stack; taint W. Every sleeping primitive reaches it through
/// `schedule()`.
pub fn schedule_debug() {
    let pc = sched::preempt_count();
    if pc == 0 {
        return;
    }
    let t = sched::current();
    let k = crate::kernel::kernel();
    k.printk(
        3,
        &format!(
            "BUG: scheduling while atomic: {}/{}/0x{:08x}",
            t.comm(),
            t.pid(),
            pc.wrapping_add(sched::PREEMPT_OFFSET)
        ),
    );
    k.printk(4, &crate::oops::modules_linked_in());
    super::watchdog::dump_stack_deep();
    k.add_taint(crate::kernel::taint::WARN);
}

/// `schedule()`.
pub extern "C" fn schedule() {
    schedule_debug();
    sched::schedule();
}

/// `schedule_timeout(jiffies)`: sleeps (if the state says so) at most `timeout` jiffies; returns the
/// jiffies left. `MAX_SCHEDULE_TIMEOUT` (LONG_MAX) sleeps until woken.
pub extern "C" fn schedule_timeout(timeout: i64) -> i64 {
    schedule_debug();
    if timeout == i64::MAX {
        sched::schedule();
        return i64::MAX;
    }
    if timeout < 0 {
        crate::kernel::kernel().printk(
            3,
            &format!("schedule_timeout: wrong timeout value {timeout:x}"),
        );
        sched::current().set_state(sched::TASK_RUNNING);
        return 0;
    }
    let left = sched::schedule_timeout(sched::jiffies_to_duration(timeout as u64));
    sched::duration_to_jiffies_ceil(left).min(timeout as u64) as i64
}

/// `wake_up_process(p)`: 1 if it was sleeping.
pub extern "C" fn wake_up_process(task: u64) -> i32 {
    sched::task_by_addr(task)
        .map(|t| t.wake() as i32)
        .unwrap_or(0)
}

/// `__lkm_preempt_count()`: what `preempt_count()` reads.
pub extern "C" fn __lkm_preempt_count() -> u32 {
    sched::preempt_count()
}

pub extern "C" fn preempt_count_add(n: i32) {
    sched::preempt_count_add(n as u32);
}

pub extern "C" fn preempt_count_sub(n: i32) {
    sched::preempt_count_sub(n as u32);
}

/// `__cond_resched()`: a voluntary preemption point; 1 if it rescheduled.
pub extern "C" fn __cond_resched() -> i32 {
    sched::touch_softlockup_watchdog();
    std::thread::yield_now();
    0
}

/// `signal_pending(current)` for a task.
pub extern "C" fn __lkm_signal_pending(task: u64) -> i32 {
    sched::task_by_addr(task)
        .map(|t| t.sigpending.load(std::sync::atomic::Ordering::Acquire) as i32)
        .unwrap_or(0)
}

pub fn exports() -> Vec<ExportEntry> {
    vec![
        func_export("get_current", get_current as *const () as usize),
        func_export("schedule", schedule as *const () as usize),
        func_export("schedule_timeout", schedule_timeout as *const () as usize),
        func_export("wake_up_process", wake_up_process as *const () as usize),
        func_export(
            "__lkm_preempt_count",
            __lkm_preempt_count as *const () as usize,
        ),
        func_export("preempt_count_add", preempt_count_add as *const () as usize),
        func_export("preempt_count_sub", preempt_count_sub as *const () as usize),
        func_export("__cond_resched", __cond_resched as *const () as usize),
        func_export(
            "__lkm_signal_pending",
            __lkm_signal_pending as *const () as usize,
        ),
    ]
}
