//! printk in the sandbox: the Rust side of the C entry points (`_printk`, `vprintk`, `snprintf`, …),
//! the log buffer, and the console.
//!
//! The console: a message below the console loglevel is shown at once on the terminal of the command
//! being served on this thread (each request installs its sink here), as a Linux console shows it,
//! and on the kernel process's stderr (its log file).

use std::cell::RefCell;
use std::ffi::c_char;
use std::io::Write;

use lkm_printk::vsprintf::{self, FormatEnv, SymbolInfo};

use crate::kernel::kernel;
use crate::mem;

/// Where console lines of the request served on this thread go.
pub type ConsoleSink = Box<dyn FnMut(&str)>;

thread_local! {
    static CONSOLE: RefCell<Option<ConsoleSink>> = const { RefCell::new(None) };
}

/// Whether the console's last line is unfinished (a record without a newline was printed): a new
/// record then starts on a new line, as the Linux console does.
static CONSOLE_LINE_OPEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs `f` with console output of this thread going to `sink`.
pub fn with_console<R>(sink: ConsoleSink, f: impl FnOnce() -> R) -> R {
    let prev = CONSOLE.with(|c| c.borrow_mut().replace(sink));
    let r = f();
    CONSOLE.with(|c| *c.borrow_mut() = prev);
    r
}

fn caller_id() -> u64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) as u64 }
}

/// Stores a formatted message (level prefixes included) and echoes it to the console if its level
/// is below the console loglevel. Returns printk's result: the bytes of text stored.
pub fn emit(msg: &[u8]) -> usize {
    let r = kernel().log.store(0, msg, caller_id());
    echo(&r);
    r.len
}

/// A write to `/dev/kmsg`: stored as `devkmsg_write` does, and echoed to the console as any
/// record.
pub fn emit_kmsg(data: &[u8], caller: u64) {
    let mut r = kernel().log.write_kmsg(data, caller);
    // Each write is a whole record, newline or not.
    r.newline = true;
    echo(&r);
}

/// Prints a stored record on the console if its level says so.
fn echo(r: &lkm_printk::log::StoreResult) {
    if r.console {
        // The console prints a new record with its timestamp, a continuation piece as is.
        use std::sync::atomic::Ordering;
        let open = CONSOLE_LINE_OPEN.swap(!r.newline, Ordering::AcqRel);
        let mut out = if r.appended {
            String::new()
        } else {
            let lead = if open { "\n" } else { "" };
            format!(
                "{lead}[{:5}.{:06}] ",
                r.ts_nsec / 1_000_000_000,
                (r.ts_nsec % 1_000_000_000) / 1000
            )
        };
        out.push_str(&String::from_utf8_lossy(&r.text));
        if r.newline {
            out.push('\n');
        }
        console_write(out.as_bytes());
        CONSOLE.with(|c| {
            if let Some(sink) = c.borrow_mut().as_mut() {
                sink(&out);
            }
        });
    }
}

/// Bytes the console may write to the kernel's log file before it is rotated.
const CONSOLE_LOG_LIMIT: u64 = 16 << 20;

/// Writes console text to stderr (the state directory's `kernel.log`). When the file grows past
/// [`CONSOLE_LOG_LIMIT`] it is renamed `kernel.log.1` (replacing an older one) and a new one takes
/// over stdout and stderr, so a long-running kernel's log stays bounded.
fn console_write(text: &[u8]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static WRITTEN: AtomicU64 = AtomicU64::new(0);
    static ROTATING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _ = std::io::stderr().write_all(text);
    if WRITTEN.fetch_add(text.len() as u64, Ordering::Relaxed) < CONSOLE_LOG_LIMIT {
        return;
    }
    let _g = ROTATING.lock().unwrap_or_else(|e| e.into_inner());
    if WRITTEN.load(Ordering::Relaxed) < CONSOLE_LOG_LIMIT {
        return;
    }
    WRITTEN.store(0, Ordering::Relaxed);
    let Ok(path) = std::fs::read_link("/proc/self/fd/2") else {
        return;
    };
    if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
        return;
    }
    let mut old = path.clone().into_os_string();
    old.push(".1");
    if std::fs::rename(&path, &old).is_err() {
        return;
    }
    if let Ok(f) = std::fs::File::create(&path) {
        use std::os::unix::io::AsRawFd;
        // SAFETY: dup2 onto the standard descriptors, from a file open for the duration of the
        // calls; the old file stays intact under its new name.
        unsafe {
            libc::dup2(f.as_raw_fd(), 1);
            libc::dup2(f.as_raw_fd(), 2);
        }
    }
}

/// The kernel's view of memory and symbols for `%s`, `%pS` and friends.
pub struct SandboxEnv;

impl FormatEnv for SandboxEnv {
    fn read_memory(&self, addr: u64, buf: &mut [u8]) -> bool {
        mem::read(addr, buf)
    }
    fn symbol(&self, addr: u64) -> Option<SymbolInfo> {
        kernel()
            .symbol_at(addr)
            .map(|(name, offset, size, module)| SymbolInfo {
                name,
                offset,
                size,
                module,
            })
    }
}

extern "C" {
    fn lkm_va_arg_ulong(ap: *mut libc::c_void) -> u64;
}

/// Formats `fmt` with arguments from the C `va_list` at `ap`.
fn format_va(fmt: *const c_char, ap: *mut libc::c_void, size: usize) -> (Vec<u8>, usize) {
    let Ok(fmt) = mem::read_cstr(fmt as u64, 4096) else {
        return (b"(efault)".to_vec(), 8);
    };
    // SAFETY: `ap` is the live va_list of the C entry point that called us; the formatter takes
    // exactly one argument per conversion the format names, as the caller's C code promised.
    let mut next = || unsafe { lkm_va_arg_ulong(ap) };
    vsprintf::vsnprintf(&fmt, &mut next, &SandboxEnv, size)
}

#[no_mangle]
pub extern "C" fn lkm_vprintk(fmt: *const c_char, ap: *mut libc::c_void) -> i32 {
    let (text, _) = format_va(fmt, ap, lkm_printk::log::LOG_LINE_MAX);
    emit(&text) as i32
}

/// Mode 0 `vsnprintf` (returns the full length), 1 `vscnprintf` (returns what was written),
/// 2 `vsprintf`.
#[no_mangle]
pub extern "C" fn lkm_vsnprintf(
    buf: *mut c_char,
    size: usize,
    fmt: *const c_char,
    ap: *mut libc::c_void,
    mode: i32,
) -> i32 {
    let (mut text, full) = format_va(fmt, ap, size);
    if size == 0 {
        return if mode == 1 { 0 } else { full as i32 };
    }
    let written = text.len();
    text.push(0);
    if !mem::write(buf as u64, &text) {
        return -libc::EFAULT;
    }
    if mode == 1 {
        written as i32
    } else {
        full as i32
    }
}

/// `WARN()`: the kernel's warning report for the module code that returns to `caller`, with the
/// call trace scanned from `frame` (the C entry's frame); taint W.
#[no_mangle]
pub extern "C" fn lkm_warn(
    file: *const c_char,
    line: i32,
    fmt: *const c_char,
    ap: *mut libc::c_void,
    caller: *const libc::c_void,
    frame: *const libc::c_void,
) {
    let k = kernel();
    let message = (!fmt.is_null()).then(|| format_va(fmt, ap, lkm_printk::log::LOG_LINE_MAX).0);
    let file = mem::read_cstr(file as u64, 4096)
        .map(|f| String::from_utf8_lossy(&f).into_owned())
        .unwrap_or_default();
    // The kernel's own C code (refcount_warn_saturate) warns through here too: no RIP for it.
    let caller = caller as u64;
    let rip = k.module_at(caller).is_some().then_some(caller);
    crate::oops::warn_report(&file, line, message.as_deref(), rip, Some(frame as u64));
    k.add_taint(crate::kernel::taint::WARN);
}

/// `panic()`: the message; the C side then ends the guarded call as an oops.
#[no_mangle]
pub extern "C" fn lkm_panic(fmt: *const c_char, ap: *mut libc::c_void) {
    let (text, _) = format_va(fmt, ap, lkm_printk::log::LOG_LINE_MAX);
    let mut msg = b"\x010Kernel panic - not syncing: ".to_vec();
    msg.extend_from_slice(&text);
    emit(&msg);
}
