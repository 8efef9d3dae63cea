//! The system calls the host `/dev/kmsg` source needs that std does not offer. This is the only
//! module of the crate with `unsafe` code; each call passes plain integers or a live descriptor.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// `SYSLOG_ACTION_CLEAR`.
pub const SYSLOG_ACTION_CLEAR: i32 = 5;
/// `SYSLOG_ACTION_CONSOLE_LEVEL`.
pub const SYSLOG_ACTION_CONSOLE_LEVEL: i32 = 8;

/// `klogctl(action, NULL, arg)` for the actions that take no buffer.
pub fn klogctl_nobuf(action: i32, arg: i32) -> io::Result<i32> {
    debug_assert!(action == SYSLOG_ACTION_CLEAR || action == SYSLOG_ACTION_CONSOLE_LEVEL);
    // SAFETY: CLEAR and CONSOLE_LEVEL do not touch the buffer argument; NULL is what util-linux
    // passes too.
    let r = unsafe { libc::klogctl(action, std::ptr::null_mut(), arg) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// `lseek(fd, 0, SEEK_DATA)`: on `/dev/kmsg`, move to the first record after the last clear.
pub fn seek_data(f: &File) -> io::Result<()> {
    // SAFETY: `f` owns an open descriptor for the duration of the call.
    let r = unsafe { libc::lseek(f.as_raw_fd(), 0, libc::SEEK_DATA) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `clock_gettime(CLOCK_BOOTTIME)`.
pub fn boottime() -> io::Result<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}
