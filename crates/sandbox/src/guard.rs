//! Entering module code: every call into a module goes through the C guard (`csrc/entry.c`), so a
//! fault in the module ends that call with a [`Fault`] instead of ending the process.

/// What ended a guarded call early. Mirrors `struct lkm_fault` in `csrc/entry.c`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    pub signo: i32,
    pub code: i32,
    pub addr: u64,
    pub rip: u64,
    pub rsp: u64,
    pub rbp: u64,
    /// The page-fault error code: bit 0 page present, bit 1 write, bit 4 instruction fetch.
    pub err: u64,
    /// 0 a signal, 1 `BUG()`, 2 stack-protector failure, 3 `panic()`.
    pub kind: i32,
    pub line: i32,
    pub file: *const libc::c_char,
    /// How many words of `stack` were copied.
    pub stack_len: u64,
    /// The stack words from `rsp` up, copied before the jump back to the guard (the frames are
    /// reused once the guard returns): the oops report's call trace is scanned from this copy.
    pub stack: [u64; 256],
}

impl Fault {
    /// The copied stack words.
    pub fn stack_words(&self) -> &[u64] {
        &self.stack[..(self.stack_len as usize).min(self.stack.len())]
    }
}

impl Default for Fault {
    fn default() -> Self {
        Fault {
            signo: 0,
            code: 0,
            addr: 0,
            rip: 0,
            rsp: 0,
            rbp: 0,
            err: 0,
            kind: 0,
            line: 0,
            file: std::ptr::null(),
            stack_len: 0,
            stack: [0; 256],
        }
    }
}

/// The kind of a fault, as the oops report words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    Signal(i32),
    Bug { file: String, line: i32 },
    StackProtector,
    Panic,
}

impl Fault {
    pub fn kind(&self) -> FaultKind {
        match self.kind {
            1 => FaultKind::Bug {
                file: if self.file.is_null() {
                    String::new()
                } else {
                    // SAFETY: `file` is the `__FILE__` literal the module passed to `__lkm_bug`;
                    // it is read through the checked copy, never dereferenced directly.
                    String::from_utf8_lossy(
                        &crate::mem::read_cstr(self.file as u64, 4096).unwrap_or_default(),
                    )
                    .into_owned()
                },
                line: self.line,
            },
            2 => FaultKind::StackProtector,
            3 => FaultKind::Panic,
            _ => FaultKind::Signal(self.signo),
        }
    }
}

extern "C" {
    fn lkm_guarded_call(fn_: usize, args: *const u64, ret: *mut u64, fault: *mut Fault) -> i32;
    fn lkm_install_fault_handlers() -> i32;
    fn lkm_thread_init() -> i32;
    fn lkm_irqs_disabled() -> i32;
    fn lkm_irqs_set_disabled(off: i32);
}

/// The execution context a guarded call began in: preemption count, interrupt flag, RCU nesting.
///
/// An oops unwinds the module's frames without running their unlocks: a module that faults while
/// holding a spinlock (or with interrupts off, or in an RCU read-side section) would leave the
/// thread in atomic context, and every later request served on the same thread (a client
/// connection carries several) would report sleeping in atomic context, or an RCU grace period
/// would wait for it forever. Linux kills the task (`make_task_dead`, which notes `exited with
/// irqs disabled` / `exited with preempt_count N` and resets both, and `exit_rcu`); the guard does
/// the same for the thread: after a fault it restores the context the call began in, and the
/// notes follow the oops report ([`take_exit_notes`]). The lock word itself stays taken in the
/// module's memory, as on Linux.
struct Context {
    preempt: u32,
    irqs_off: i32,
    rcu: u32,
}

impl Context {
    fn save() -> Context {
        Context {
            preempt: crate::sched::preempt_count(),
            // SAFETY: reads a thread-local flag in csrc/sync.c.
            irqs_off: unsafe { lkm_irqs_disabled() },
            rcu: crate::services::sync::rcu_depth(),
        }
    }

    fn restore_after_fault(&self) {
        let t = crate::sched::current();
        let mut notes = Vec::new();
        // SAFETY: reads and writes a thread-local flag in csrc/sync.c.
        if unsafe { lkm_irqs_disabled() } != self.irqs_off {
            if self.irqs_off == 0 {
                notes.push(format!(
                    "note: {}[{}] exited with irqs disabled",
                    t.comm(),
                    t.pid()
                ));
            }
            // SAFETY: as above.
            unsafe { lkm_irqs_set_disabled(self.irqs_off) };
        }
        let pc = crate::sched::preempt_count();
        if pc != self.preempt {
            notes.push(format!(
                "note: {}[{}] exited with preempt_count {pc}",
                t.comm(),
                t.pid()
            ));
            crate::sched::preempt_count_sub(pc.wrapping_sub(self.preempt));
        }
        crate::services::sync::rcu_unwind_to(self.rcu);
        EXIT_NOTES.with(|n| n.borrow_mut().extend(notes));
    }
}

thread_local! {
    static EXIT_NOTES: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The notes about the context a fault left behind (printed after the oops report).
pub fn take_exit_notes() -> Vec<String> {
    EXIT_NOTES.with(|n| std::mem::take(&mut *n.borrow_mut()))
}

/// Installs the fault handlers (once per process) and this thread's alternate signal stack.
pub fn install() -> std::io::Result<()> {
    // SAFETY: installs signal handlers defined in entry.c; they only act when a guarded call is
    // active on the faulting thread.
    if unsafe { lkm_install_fault_handlers() } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Prepares the calling thread to run module code (its alternate signal stack).
pub fn thread_init() {
    // SAFETY: allocates and registers a per-thread alternate stack; idempotent.
    unsafe {
        lkm_thread_init();
    }
}

/// Calls the module function at `addr` with up to six integer arguments.
///
/// # Safety
/// `addr` must be the entry of a function in a loaded, live module taking at most six integer or
/// pointer arguments (extra ones are ignored by the callee under the SysV ABI).
// The fault carries a copy of the stack (2 KiB) for the report; it is made once per fault.
#[allow(clippy::result_large_err)]
pub unsafe fn call(addr: u64, args: &[u64]) -> Result<u64, Fault> {
    thread_init();
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    let mut ret = 0u64;
    // Left uninitialised: every path in entry.c that ends a call early clears the whole record
    // before filling it, and it is read only then. Zeroing 2 KiB on each call (every init, timer
    // callback, file operation) would be work done for nothing.
    let mut fault = std::mem::MaybeUninit::<Fault>::uninit();
    let context = Context::save();
    // The soft-lockup watchdog watches tasks inside module code; entering and leaving touch it.
    let _in_module = crate::sched::enter_module();
    // SAFETY: the caller guarantees `addr` is module code with a compatible signature; the C guard
    // catches faults inside it.
    let faulted =
        unsafe { lkm_guarded_call(addr as usize, a.as_ptr(), &mut ret, fault.as_mut_ptr()) };
    if faulted != 0 {
        context.restore_after_fault();
        // SAFETY: a fault return means entry.c memset the record and filled it (oops_out,
        // lkm_oops_bad_access, fault_handler all do, before siglongjmp).
        Err(unsafe { fault.assume_init() })
    } else {
        Ok(ret)
    }
}
