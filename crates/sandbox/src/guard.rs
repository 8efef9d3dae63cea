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
pub unsafe fn call(addr: u64, args: &[u64]) -> Result<u64, Fault> {
    thread_init();
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    let mut ret = 0u64;
    let mut fault = Fault::default();
    // SAFETY: the caller guarantees `addr` is module code with a compatible signature; the C guard
    // catches faults inside it.
    let faulted = unsafe { lkm_guarded_call(addr as usize, a.as_ptr(), &mut ret, &mut fault) };
    if faulted != 0 {
        Err(fault)
    } else {
        Ok(ret)
    }
}
