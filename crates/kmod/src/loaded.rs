//! What libkmod reads about a loaded module from `/sys/module/<name>` and `/proc/modules`
//! (`kmod_module_get_initstate`, `_get_refcnt`, `_get_size`, `_get_holders`), through a [`Kernel`],
//! with the messages libkmod logs along the way.
//!
//! Debian builds kmod 30 with `--enable-debug`, so libkmod's own error messages carry their source
//! location (`../libkmod/libkmod-module.c:1998 kmod_module_get_holders() …`). Those locations are
//! reproduced here so that the tools' stderr is byte-identical to Debian's kmod 30.

use lkm_kernel_api::Kernel;
use lkm_modindex::normalize::modname_normalize;

/// A libkmod `ERR()` message: where kmod 30 logs it from (`libkmod-module.c`), and its text without
/// the final newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LibkmodError {
    pub line: u32,
    pub func: &'static str,
    pub msg: String,
}

impl LibkmodError {
    fn new(line: u32, func: &'static str, msg: String) -> Self {
        LibkmodError { line, func, msg }
    }

    /// As a tool's log function prints it (`log_kmod`, after `log_setup_kmod_log`), without the
    /// `prog: ERROR: ` prefix the tool's logger adds.
    pub fn tool_body(&self) -> String {
        format!(
            "../libkmod/libkmod-module.c:{} {}() {}",
            self.line, self.func, self.msg
        )
    }

    /// As libkmod's default logger prints it to stderr (`log_filep`), with the newline.
    pub fn default_line(&self) -> String {
        format!(
            "libkmod: ERROR ../libkmod/libkmod-module.c:{} {}: {}\n",
            self.line, self.func, self.msg
        )
    }
}

/// libkmod's `enum kmod_module_initstate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InitState {
    Builtin,
    Live,
    Coming,
    Going,
}

/// `strerror` for an errno.
pub(crate) fn strerror(errno: i32) -> String {
    lkm_modfile::strerror(&std::io::Error::from_raw_os_error(errno))
}

/// The errno of an I/O error (EIO when it carries none).
pub(crate) fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// A module name as `kmod_module_new_from_name` keeps it: `-` → `_`, cut at the first `.`.
pub(crate) fn normalize(name: &str) -> String {
    String::from_utf8_lossy(&modname_normalize(name.as_bytes())).into_owned()
}

/// Errors that `read(2)` gives on a file `open(2)` accepted; everything else is taken as the open
/// failing (the trait reads a file in one call).
fn is_read_error(errno: i32) -> bool {
    errno == libc::EISDIR || errno == libc::EIO || errno == libc::EINVAL
}

/// `read_str_safe` into a 32-byte buffer: at most 31 bytes, as a C string.
fn c_prefix(data: &[u8], max: usize) -> &[u8] {
    let d = &data[..data.len().min(max)];
    match d.iter().position(|&b| b == 0) {
        Some(n) => &d[..n],
        None => d,
    }
}

/// `strtol(s, &end, 10)` as glibc does it: leading white space, a sign, digits (saturating); `None`
/// when no digits were consumed; otherwise the value and the rest after the number.
pub(crate) fn strtol(s: &[u8]) -> Option<(i64, &[u8])> {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: i64 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        let d = i64::from(s[i] - b'0');
        match v.checked_mul(10).and_then(|x| {
            if neg {
                x.checked_sub(d)
            } else {
                x.checked_add(d)
            }
        }) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return None;
    }
    if overflow {
        v = if neg { i64::MIN } else { i64::MAX };
    }
    Some((v, &s[i..]))
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `read_str_long(fd, &v, 10)`: the number must be followed by white space. `Err(errno)` when the
/// read fails or the text is not a number (`EINVAL`).
fn read_str_long(data: &[u8]) -> Result<i64, i32> {
    let s = c_prefix(data, 31);
    match strtol(s) {
        Some((v, rest)) if rest.first().copied().is_some_and(is_c_space) => Ok(v),
        _ => Err(libc::EINVAL),
    }
}

/// One loaded module seen through a kernel, with the libkmod messages its queries produce.
pub(crate) struct LoadedModule<'a> {
    pub kernel: &'a dyn Kernel,
    /// The normalised name.
    pub name: &'a str,
}

impl LoadedModule<'_> {
    fn sys(&self, attr: &str) -> String {
        format!("/sys/module/{}/{attr}", self.name)
    }

    /// `kmod_module_get_initstate` for a module not known to be built in: `/sys/module/NAME/initstate`,
    /// or `Coming` when only the directory exists. `Err(errno)` when neither does.
    pub fn initstate(&self, log: &mut dyn FnMut(LibkmodError)) -> Result<InitState, i32> {
        let path = self.sys("initstate");
        match self.kernel.read_file(&path) {
            Ok(data) => {
                let buf = c_prefix(&data, 31);
                match buf {
                    b"live\n" => Ok(InitState::Live),
                    b"coming\n" => Ok(InitState::Coming),
                    b"going\n" => Ok(InitState::Going),
                    _ => {
                        log(LibkmodError::new(
                            1847,
                            "kmod_module_get_initstate",
                            format!("unknown {path}: '{}'", String::from_utf8_lossy(buf)),
                        ));
                        Err(libc::EINVAL)
                    }
                }
            }
            Err(e) if is_read_error(errno_of(&e)) => {
                let errno = errno_of(&e);
                log(LibkmodError::new(
                    1835,
                    "kmod_module_get_initstate",
                    format!("could not read from '{path}': {}", strerror(errno)),
                ));
                Err(errno)
            }
            Err(e) => {
                // The module directory without `initstate`: a module still loading (or a built-in
                // module with parameters, which kmod also reports this way).
                let dir = format!("/sys/module/{}", self.name);
                if self.kernel.read_dir(&dir).is_ok() {
                    Ok(InitState::Coming)
                } else {
                    Err(errno_of(&e))
                }
            }
        }
    }

    /// `kmod_module_get_refcnt`: `/sys/module/NAME/refcnt`, or a negative errno.
    pub fn refcnt(&self, log: &mut dyn FnMut(LibkmodError)) -> i32 {
        let path = self.sys("refcnt");
        let data = match self.kernel.read_file(&path) {
            Ok(d) => d,
            Err(e) if is_read_error(errno_of(&e)) => {
                let errno = errno_of(&e);
                log(LibkmodError::new(
                    1967,
                    "kmod_module_get_refcnt",
                    format!(
                        "could not read integer from '{path}': '{}'",
                        strerror(errno)
                    ),
                ));
                return -errno;
            }
            Err(e) => return -errno_of(&e),
        };
        match read_str_long(&data) {
            // kmod returns `(int)refcnt`.
            Ok(v) => v as i32,
            Err(errno) => {
                log(LibkmodError::new(
                    1967,
                    "kmod_module_get_refcnt",
                    format!(
                        "could not read integer from '{path}': '{}'",
                        strerror(errno)
                    ),
                ));
                -errno
            }
        }
    }

    /// `kmod_module_get_size`: `/sys/module/NAME/coresize`, else the size column of `/proc/modules`;
    /// a negative errno when the module has no directory in `/sys/module`.
    pub fn size(&self, log: &mut dyn FnMut(LibkmodError)) -> i64 {
        let dir = format!("/sys/module/{}", self.name);
        match self.kernel.read_file(&self.sys("coresize")) {
            Ok(data) => {
                return match read_str_long(&data) {
                    Ok(v) => v,
                    Err(_) => {
                        log(LibkmodError::new(
                            1886,
                            "kmod_module_get_size",
                            format!("failed to read coresize from {dir}"),
                        ));
                        // read_str_long clears the value before failing.
                        0
                    }
                };
            }
            Err(e) if is_read_error(errno_of(&e)) => {
                log(LibkmodError::new(
                    1886,
                    "kmod_module_get_size",
                    format!("failed to read coresize from {dir}"),
                ));
                return 0;
            }
            Err(_) => {}
        }
        if let Err(e) = self.kernel.read_dir(&dir) {
            return -i64::from(errno_of(&e));
        }
        // Kernels before 3.3 have no coresize: the second column of /proc/modules.
        let text = match self.kernel.read_file("/proc/modules") {
            Ok(t) => t,
            Err(e) => {
                let errno = errno_of(&e);
                log(LibkmodError::new(
                    1895,
                    "kmod_module_get_size",
                    format!("could not open /proc/modules: {}", strerror(errno)),
                ));
                return -i64::from(errno);
            }
        };
        for (n, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
            let mut tokens = line
                .split(|&b| b == b' ' || b == b'\t')
                .filter(|t| !t.is_empty());
            if tokens.next() != Some(self.name.as_bytes()) {
                continue;
            }
            let lineno = n + 1;
            let Some(tok) = tokens.next() else {
                log(LibkmodError::new(
                    1912,
                    "kmod_module_get_size",
                    format!("invalid line format at /proc/modules:{lineno}"),
                ));
                break;
            };
            match strtol(tok) {
                Some((v, [])) => return v,
                _ => {
                    log(LibkmodError::new(
                        1919,
                        "kmod_module_get_size",
                        format!("invalid line format at /proc/modules:{lineno}"),
                    ));
                    break;
                }
            }
        }
        -i64::from(libc::ENOENT)
    }

    /// `kmod_module_get_holders`: the (normalised) names in `/sys/module/NAME/holders`; none, with a
    /// message, when the directory cannot be read.
    pub fn holders(&self, log: &mut dyn FnMut(LibkmodError)) -> Vec<String> {
        let path = self.sys("holders");
        match self.kernel.read_dir(&path) {
            Ok(names) => names
                .iter()
                .filter(|n| n.as_str() != "." && n.as_str() != "..")
                .map(|n| normalize(n))
                .collect(),
            Err(e) => {
                log(LibkmodError::new(
                    1998,
                    "kmod_module_get_holders",
                    format!("could not open '{path}': {}", strerror(errno_of(&e))),
                ));
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_like_glibc() {
        assert_eq!(strtol(b"  42\n"), Some((42, &b"\n"[..])));
        assert_eq!(strtol(b"-7 x"), Some((-7, &b" x"[..])));
        assert_eq!(strtol(b"+3"), Some((3, &b""[..])));
        assert_eq!(strtol(b"x"), None);
        assert_eq!(strtol(b"-"), None);
        assert_eq!(strtol(b"99999999999999999999"), Some((i64::MAX, &b""[..])));
        assert_eq!(strtol(b"-99999999999999999999"), Some((i64::MIN, &b""[..])));
    }

    #[test]
    fn read_str_long_needs_trailing_space() {
        assert_eq!(read_str_long(b"3\n"), Ok(3));
        assert_eq!(read_str_long(b"3"), Err(libc::EINVAL));
        assert_eq!(read_str_long(b"\n"), Err(libc::EINVAL));
        assert_eq!(read_str_long(b"12 34"), Ok(12));
    }
}
