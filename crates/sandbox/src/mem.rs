//! Checked access to memory named by module-supplied addresses.
//!
//! A module hands the kernel raw pointers (a `%s` argument, a parameter's storage, a name). The host
//! must never fault on them: these copies go through `process_vm_readv`/`process_vm_writev` on our
//! own process, which return `EFAULT` for unmapped or protected pages instead of raising SIGSEGV, and
//! honour page protections (a write to a read-only page fails).

use std::io;

fn pid() -> libc::pid_t {
    // SAFETY: getpid has no preconditions.
    unsafe { libc::getpid() }
}

/// Copies `buf.len()` bytes from `addr`; false if any byte is not readable.
pub fn read(addr: u64, buf: &mut [u8]) -> bool {
    if buf.is_empty() {
        return true;
    }
    if addr == 0 {
        return false;
    }
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, which we own mutably; the kernel validates `remote` and
    // reports EFAULT instead of faulting.
    let n = unsafe { libc::process_vm_readv(pid(), &local, 1, &remote, 1, 0) };
    n == buf.len() as isize
}

/// Copies `data` to `addr`; false if any byte is not writable.
pub fn write(addr: u64, data: &[u8]) -> bool {
    if data.is_empty() {
        return true;
    }
    if addr == 0 {
        return false;
    }
    let local = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: `local` describes `data` (only read by the call); the kernel validates `remote`,
    // honouring page protections.
    let n = unsafe { libc::process_vm_writev(pid(), &local, 1, &remote, 1, 0) };
    n == data.len() as isize
}

/// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
pub fn read_cstr(addr: u64, max: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 64];
    let mut at = addr;
    while out.len() < max {
        // Never read across a page boundary in one go: the next page may be unmapped although the
        // string ends before it.
        let to_page_end = 4096 - (at as usize % 4096);
        let n = chunk.len().min(to_page_end).min(max - out.len());
        if !read(at, &mut chunk[..n]) {
            return Err(io::Error::from_raw_os_error(libc::EFAULT));
        }
        if let Some(end) = chunk[..n].iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..end]);
            return Ok(out);
        }
        out.extend_from_slice(&chunk[..n]);
        at += n as u64;
    }
    Ok(out)
}

pub fn read_u64(addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    read(addr, &mut b).then(|| u64::from_le_bytes(b))
}

pub fn read_u32(addr: u64) -> Option<u32> {
    let mut b = [0u8; 4];
    read(addr, &mut b).then(|| u32::from_le_bytes(b))
}

pub fn read_i32(addr: u64) -> Option<i32> {
    read_u32(addr).map(|v| v as i32)
}
