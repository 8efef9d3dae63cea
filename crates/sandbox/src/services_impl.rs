//! Host implementations of exported functions that are not printk or parameters: string conversion,
//! `strscpy`, module reference counts, taints. Every pointer argument is module-supplied and read or
//! written through [`crate::mem`]'s checked copies, so a bad pointer yields `-EFAULT`, not a host crash.

use std::ffi::c_char;
use std::sync::atomic::Ordering;

use crate::kernel::{kernel, ModuleState};
use crate::mem;

const EINVAL: i32 = libc::EINVAL;
const ERANGE: i32 = libc::ERANGE;
const EFAULT: i32 = libc::EFAULT;
const E2BIG: i32 = libc::E2BIG;

/// Parses like the kernel's `_parse_integer` with base detection (`_parse_integer_fixup_radix`):
/// base 0 takes `0x` as hex and a leading `0` as octal; base 16 accepts a `0x` prefix. Returns the
/// value and the bytes consumed, or `None` when no digit was read; `Some(Err)` on overflow.
pub fn parse_unsigned(s: &[u8], base: u32) -> Option<(Result<u64, ()>, usize)> {
    let mut i = 0;
    let mut base = base;
    if base == 0 {
        if s.len() >= 2
            && s[0] == b'0'
            && (s[1] | 0x20) == b'x'
            && s.get(2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            base = 16;
            i = 2;
        } else if s.first() == Some(&b'0') {
            base = 8;
        } else {
            base = 10;
        }
    } else if base == 16 && s.len() >= 2 && s[0] == b'0' && (s[1] | 0x20) == b'x' {
        i = 2;
    }
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(&c) = s.get(i) {
        let d = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 10,
            b'A'..=b'Z' => (c - b'A') as u32 + 10,
            _ => break,
        };
        if d >= base {
            break;
        }
        match v
            .checked_mul(base as u64)
            .and_then(|x| x.checked_add(d as u64))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((if overflow { Err(()) } else { Ok(v) }, i))
}

/// `kstrtoull`: the whole string (one trailing newline allowed) must be a number.
pub fn kstrtoull_bytes(s: &[u8], base: u32) -> Result<u64, i32> {
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let (v, used) = parse_unsigned(s, base).ok_or(EINVAL)?;
    let rest = &s[used..];
    if !(rest.is_empty() || rest == b"\n") {
        return Err(EINVAL);
    }
    v.map_err(|_| ERANGE)
}

/// `kstrtoll`.
pub fn kstrtoll_bytes(s: &[u8], base: u32) -> Result<i64, i32> {
    if let Some(rest) = s.strip_prefix(b"-") {
        let v = kstrtoull_bytes(rest, base)?;
        if v > i64::MAX as u64 + 1 {
            return Err(ERANGE);
        }
        Ok((v as i64).wrapping_neg())
    } else {
        let v = kstrtoull_bytes(s, base)?;
        i64::try_from(v).map_err(|_| ERANGE)
    }
}

/// `kstrtobool`: y/Y/1/t/T (true), n/N/0/f/F (false), on/off; the rest of the string is ignored.
pub fn kstrtobool_bytes(s: &[u8]) -> Result<bool, i32> {
    match s {
        [b'y' | b'Y' | b'1' | b't' | b'T', ..] => Ok(true),
        [b'n' | b'N' | b'0' | b'f' | b'F', ..] => Ok(false),
        [b'o' | b'O', b'n' | b'N', ..] => Ok(true),
        [b'o' | b'O', b'f' | b'F', ..] => Ok(false),
        _ => Err(EINVAL),
    }
}

fn arg_string(s: *const c_char) -> Result<Vec<u8>, i32> {
    mem::read_cstr(s as u64, 4096).map_err(|_| EFAULT)
}

fn store<T: Copy>(res: *mut T, v: T, bytes: &[u8]) -> i32 {
    let _ = v;
    if mem::write(res as u64, bytes) {
        0
    } else {
        -EFAULT
    }
}

macro_rules! kstrto_signed {
    ($name:ident, $t:ty) => {
        pub extern "C" fn $name(s: *const c_char, base: u32, res: *mut $t) -> i32 {
            let r = arg_string(s)
                .and_then(|b| kstrtoll_bytes(&b, base))
                .and_then(|v| <$t>::try_from(v).map_err(|_| ERANGE));
            match r {
                Ok(v) => store(res, v, &v.to_le_bytes()),
                Err(e) => -e,
            }
        }
    };
}

macro_rules! kstrto_unsigned {
    ($name:ident, $t:ty) => {
        pub extern "C" fn $name(s: *const c_char, base: u32, res: *mut $t) -> i32 {
            let r = arg_string(s)
                .and_then(|b| kstrtoull_bytes(&b, base))
                .and_then(|v| <$t>::try_from(v).map_err(|_| ERANGE));
            match r {
                Ok(v) => store(res, v, &v.to_le_bytes()),
                Err(e) => -e,
            }
        }
    };
}

kstrto_signed!(kstrtoint, i32);
kstrto_signed!(kstrtol, i64);
kstrto_signed!(kstrtoll, i64);
kstrto_unsigned!(kstrtouint, u32);
kstrto_unsigned!(kstrtoul, u64);
kstrto_unsigned!(kstrtoull, u64);

pub extern "C" fn kstrtobool(s: *const c_char, res: *mut bool) -> i32 {
    match arg_string(s).and_then(|b| kstrtobool_bytes(&b)) {
        Ok(v) => store(res, v, &[v as u8]),
        Err(e) => -e,
    }
}

/// `simple_strtoull`: parses a prefix, stores where it stopped in `*endp`.
pub extern "C" fn simple_strtoull(cp: *const c_char, endp: *mut *mut c_char, base: u32) -> u64 {
    let s = arg_string(cp).unwrap_or_default();
    let (v, used) = match parse_unsigned(&s, base) {
        Some((v, used)) => (v.unwrap_or(u64::MAX), used),
        None => (0, 0),
    };
    if !endp.is_null() {
        let end = cp as u64 + used as u64;
        mem::write(endp as u64, &end.to_le_bytes());
    }
    v
}

pub extern "C" fn simple_strtoul(cp: *const c_char, endp: *mut *mut c_char, base: u32) -> u64 {
    simple_strtoull(cp, endp, base)
}

pub extern "C" fn simple_strtol(cp: *const c_char, endp: *mut *mut c_char, base: u32) -> i64 {
    let first = mem::read_cstr(cp as u64, 1).unwrap_or_default();
    if first.first() == Some(&b'-') {
        (simple_strtoull((cp as u64 + 1) as *const c_char, endp, base) as i64).wrapping_neg()
    } else {
        simple_strtoull(cp, endp, base) as i64
    }
}

/// `strscpy`: copies at most `count - 1` bytes and a NUL; returns the length or `-E2BIG` when
/// truncated.
pub extern "C" fn strscpy(dest: *mut c_char, src: *const c_char, count: usize) -> isize {
    if count == 0 || count > i32::MAX as usize {
        return -(E2BIG as isize);
    }
    let Ok(s) = mem::read_cstr(src as u64, count) else {
        return -(EFAULT as isize);
    };
    let (n, truncated) = if s.len() >= count {
        (count - 1, true)
    } else {
        (s.len(), false)
    };
    let mut out = s[..n].to_vec();
    out.push(0);
    if !mem::write(dest as u64, &out) {
        return -(EFAULT as isize);
    }
    if truncated {
        -(E2BIG as isize)
    } else {
        n as isize
    }
}

/// `try_module_get`: a reference unless the module is going away. NULL (built-in code) always
/// succeeds.
pub extern "C" fn try_module_get(module: u64) -> bool {
    if module == 0 {
        return true;
    }
    match kernel().module_by_struct(module) {
        Some(m) if m.state() != ModuleState::Going => {
            m.refcnt.fetch_add(1, Ordering::AcqRel);
            true
        }
        _ => false,
    }
}

pub extern "C" fn __module_get(module: u64) {
    if let Some(m) = kernel().module_by_struct(module) {
        m.refcnt.fetch_add(1, Ordering::AcqRel);
    }
}

pub extern "C" fn module_put(module: u64) {
    if let Some(m) = kernel().module_by_struct(module) {
        m.refcnt.fetch_sub(1, Ordering::AcqRel);
    }
}

pub extern "C" fn module_refcount(module: u64) -> i32 {
    kernel()
        .module_by_struct(module)
        .map(|m| m.refcnt.load(Ordering::Acquire) as i32)
        .unwrap_or(0)
}

pub extern "C" fn add_taint(flag: u32, _lockdep_ok: i32) {
    if flag < 32 {
        kernel().add_taint(flag);
    }
}

pub extern "C" fn dump_stack() {
    crate::oops::dump_stack();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kstrtoull_follows_the_kernel() {
        assert_eq!(kstrtoull_bytes(b"42", 0), Ok(42));
        assert_eq!(kstrtoull_bytes(b"0x1f", 0), Ok(31));
        assert_eq!(kstrtoull_bytes(b"010", 0), Ok(8));
        assert_eq!(kstrtoull_bytes(b"0x1f", 16), Ok(31));
        assert_eq!(kstrtoull_bytes(b"1f", 16), Ok(31));
        assert_eq!(kstrtoull_bytes(b"12\n", 10), Ok(12));
        assert_eq!(kstrtoull_bytes(b"12 ", 10), Err(EINVAL));
        assert_eq!(kstrtoull_bytes(b"", 10), Err(EINVAL));
        assert_eq!(kstrtoull_bytes(b"+7", 10), Ok(7));
        assert_eq!(kstrtoull_bytes(b"18446744073709551616", 10), Err(ERANGE));
        assert_eq!(kstrtoll_bytes(b"-9223372036854775808", 10), Ok(i64::MIN));
        assert_eq!(kstrtoll_bytes(b"9223372036854775808", 10), Err(ERANGE));
        assert_eq!(kstrtoll_bytes(b"-5", 0), Ok(-5));
    }

    #[test]
    fn kstrtobool_accepts_the_kernel_spellings() {
        for t in [&b"y"[..], b"Y", b"1", b"on", b"true"] {
            assert_eq!(kstrtobool_bytes(t), Ok(true), "{t:?}");
        }
        for f in [&b"n"[..], b"N", b"0", b"off", b"false"] {
            assert_eq!(kstrtobool_bytes(f), Ok(false), "{f:?}");
        }
        assert_eq!(kstrtobool_bytes(b"maybe"), Err(EINVAL));
        assert_eq!(kstrtobool_bytes(b""), Err(EINVAL));
    }
}
