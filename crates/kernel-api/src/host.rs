//! `HostKernel`: the running machine's kernel, driven as kmod drives it — `init_module(2)`,
//! `finit_module(2)` and `delete_module(2)` through `syscall(2)`, the release from `uname(2)`, and
//! `/proc`, `/sys` through ordinary file I/O.

use std::ffi::CString;
use std::io;
use std::os::fd::AsRawFd;

use crate::Kernel;

/// The kernel this process runs on.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostKernel;

impl HostKernel {
    /// The running kernel.
    pub fn new() -> Self {
        HostKernel
    }
}

/// A string for a system call: an interior NUL cannot be passed, which the kernel would see as a
/// truncated string, so it is refused as `EINVAL`.
fn c_string(s: &str) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// `Ok` for a zero return, the errno otherwise.
fn syscall_result(ret: libc::c_long) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl Kernel for HostKernel {
    fn release(&self) -> io::Result<String> {
        // SAFETY: `uname` only writes into the zero-initialised struct we own and pass by pointer.
        let mut u: libc::utsname = unsafe { std::mem::zeroed() };
        // SAFETY: `&mut u` is a valid, writable `utsname` for the duration of the call.
        if unsafe { libc::uname(&mut u) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // The kernel NUL-terminates every field; stop at the end of the array regardless.
        let release: Vec<u8> = u
            .release
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        Ok(String::from_utf8_lossy(&release).into_owned())
    }

    fn init_module(&self, image: &[u8], params: &str) -> io::Result<()> {
        let params = c_string(params)?;
        // SAFETY: `init_module(void *module_image, unsigned long len, const char *param_values)`:
        // the image pointer and length describe a live slice the kernel only reads during the call,
        // and `params` is a NUL-terminated string that outlives the call.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_init_module,
                image.as_ptr(),
                image.len() as libc::c_ulong,
                params.as_ptr(),
            )
        };
        syscall_result(ret)
    }

    fn finit_module(&self, file: &std::fs::File, params: &str, flags: u32) -> io::Result<()> {
        let params = c_string(params)?;
        // SAFETY: `finit_module(int fd, const char *param_values, int flags)`: the descriptor is
        // open for the borrow of `file`, and `params` is a NUL-terminated string that outlives the
        // call; nothing is written to our memory.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_finit_module,
                file.as_raw_fd(),
                params.as_ptr(),
                flags as libc::c_int,
            )
        };
        syscall_result(ret)
    }

    fn delete_module(&self, name: &str, flags: u32) -> io::Result<()> {
        let name = c_string(name)?;
        // SAFETY: `delete_module(const char *name, unsigned int flags)`: `name` is a NUL-terminated
        // string that outlives the call and is only read.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_delete_module,
                name.as_ptr(),
                flags as libc::c_uint,
            )
        };
        syscall_result(ret)
    }

    fn read_file(&self, path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn write_file(&self, path: &str, data: &[u8]) -> io::Result<()> {
        use std::io::Write;
        // sysfs and procfs attributes exist already; never create or truncate as a regular file.
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.write_all(data)
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<String>> {
        // readdir order, unsorted, as kmod lists holders.
        std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_is_unames() {
        let r = HostKernel.release().unwrap();
        let proc = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        assert_eq!(r, proc.trim_end());
    }

    #[test]
    fn params_with_nul_are_refused_before_the_kernel() {
        let e = HostKernel.init_module(&[], "a=\0").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
        let e = HostKernel.delete_module("x\0y", 0).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    }

    #[test]
    fn read_dir_lists_every_entry_without_dot_entries() {
        let d = std::env::temp_dir().join(format!("lkm-host-{}", std::process::id()));
        std::fs::create_dir_all(d.join("b")).unwrap();
        std::fs::create_dir_all(d.join("a")).unwrap();
        std::fs::write(d.join("c"), b"").unwrap();
        let mut names = HostKernel.read_dir(d.to_str().unwrap()).unwrap();
        std::fs::remove_dir_all(&d).unwrap();
        names.sort();
        assert_eq!(names, ["a", "b", "c"]);
    }
}
