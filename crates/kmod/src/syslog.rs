//! The tools' `-s/--syslog` logging: kmod's `log_open(true)` — `openlog(prog, LOG_CONS, LOG_DAEMON)` —
//! and `syslog(prio, "%s: %s", LEVEL, msg)`, through the C library so the record is exactly glibc's.

use std::ffi::CString;
use std::sync::OnceLock;

/// `LOG_ERR`, the priority of every message the tools log here.
pub const LOG_ERR: libc::c_int = libc::LOG_ERR;

/// The ident handed to `openlog`; glibc keeps the pointer, so it lives for the whole process.
static IDENT: OnceLock<CString> = OnceLock::new();

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "")).expect("NULs removed")
}

/// `openlog(prog, LOG_CONS, LOG_DAEMON)`. The first call's `prog` stays the ident.
pub fn open(prog: &str) {
    let ident = IDENT.get_or_init(|| c_string(prog));
    // SAFETY: `ident` is a NUL-terminated string in a static that is never dropped, as `openlog`
    // requires of the pointer it keeps.
    unsafe { libc::openlog(ident.as_ptr(), libc::LOG_CONS, libc::LOG_DAEMON) };
}

/// `syslog(prio, "%s", text)`.
pub fn log(prio: libc::c_int, text: &str) {
    let text = c_string(text);
    // SAFETY: a constant "%s" format with exactly one NUL-terminated string argument that outlives
    // the call.
    unsafe { libc::syslog(prio, c"%s".as_ptr(), text.as_ptr()) };
}

/// `closelog()`.
pub fn close() {
    // SAFETY: closes the descriptor `openlog`/`syslog` opened, if any; no pointers involved.
    unsafe { libc::closelog() };
}
