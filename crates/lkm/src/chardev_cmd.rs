//! Character-device commands on the sandbox kernel: `lkm mknod` and `lkm ioctl` (`lkm cat` and
//! `lkm write` reach `/dev` nodes through the kernel's file views).

use crate::sandbox_cmd::running_client;

/// `_IOC` fields (include/uapi/asm-generic/ioctl.h).
const IOC_NONE: u32 = 0;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

fn ioc(dir: u32, ty: u32, nr: u32, size: u32) -> u32 {
    (dir << 30) | ((size & 0x3fff) << 16) | ((ty & 0xff) << 8) | (nr & 0xff)
}

fn parse_int(s: &str) -> Option<u64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()?
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()?
    } else {
        s.parse().ok()?
    };
    Some(if neg { v.wrapping_neg() } else { v })
}

/// An ioctl type field: `'a'` or a number.
fn parse_type(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some(c) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        let mut it = c.chars();
        let ch = it.next()?;
        return (it.next().is_none() && (ch as u32) < 256).then_some(ch as u32);
    }
    if s.chars().count() == 1 && !s.as_bytes()[0].is_ascii_digit() {
        return Some(s.as_bytes()[0] as u32);
    }
    parse_int(s).map(|v| v as u32)
}

/// CMD: a number, or `_IO(T,N)`, `_IOR(T,N,SIZE)`, `_IOW(T,N,SIZE)`, `_IOWR(T,N,SIZE)` with SIZE
/// in bytes.
pub fn parse_cmd(s: &str) -> Result<u32, String> {
    let s = s.trim();
    let bad = || {
        format!("invalid ioctl command '{s}': a number, or _IO(T,N), _IOR(T,N,SIZE), _IOW(T,N,SIZE), _IOWR(T,N,SIZE)")
    };
    if let Some(open) = s.find('(') {
        let name = s[..open].trim();
        let inner = s[open + 1..].strip_suffix(')').ok_or_else(bad)?;
        let parts: Vec<&str> = inner.split(',').collect();
        let dir = match name {
            "_IO" => IOC_NONE,
            "_IOR" => IOC_READ,
            "_IOW" => IOC_WRITE,
            "_IOWR" => IOC_READ | IOC_WRITE,
            _ => return Err(bad()),
        };
        let want = if dir == IOC_NONE { 2 } else { 3 };
        if parts.len() != want {
            return Err(bad());
        }
        let ty = parse_type(parts[0]).ok_or_else(bad)?;
        let nr = parse_int(parts[1]).ok_or_else(bad)? as u32;
        let size = if want == 3 {
            parse_int(parts[2]).ok_or_else(bad)? as u32
        } else {
            0
        };
        if ty > 0xff || nr > 0xff || size > 0x3fff {
            return Err(bad());
        }
        return Ok(ioc(dir, ty, nr, size));
    }
    parse_int(s).map(|v| v as u32).ok_or_else(bad)
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `lkm ioctl PATH CMD [ARG]`. A CMD with a size gets a user buffer of that many bytes as its
/// argument: ARG `hex:BYTES` fills it (zero-padded), an integer is stored little-endian, none
/// leaves it zeroed. A CMD without a size passes ARG (an integer, default 0) as is. Prints the
/// return value, then, for commands that read (`_IOR`, `_IOWR`), the buffer in hex.
pub fn ioctl(path: &str, cmd: &str, arg: Option<&str>) -> i32 {
    let cmd = match parse_cmd(cmd) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lkm: ioctl: {e}");
            return 1;
        }
    };
    let dir = cmd >> 30;
    let size = ((cmd >> 16) & 0x3fff) as usize;
    let buf = if dir != IOC_NONE && size > 0 {
        let mut b = match arg {
            None => Vec::new(),
            Some(a) if a.starts_with("hex:") => match parse_hex(&a[4..]) {
                Some(b) if b.len() <= size => b,
                _ => {
                    eprintln!("lkm: ioctl: invalid argument '{a}': at most {size} bytes of hex");
                    return 1;
                }
            },
            Some(a) => match parse_int(a) {
                Some(v) => v.to_le_bytes()[..size.min(8)].to_vec(),
                None => {
                    eprintln!("lkm: ioctl: invalid argument '{a}': an integer or hex:BYTES");
                    return 1;
                }
            },
        };
        b.resize(size, 0);
        Some(b)
    } else {
        None
    };
    let value = match (&buf, arg) {
        (None, Some(a)) => match parse_int(a) {
            Some(v) => v,
            None => {
                eprintln!("lkm: ioctl: invalid argument '{a}': an integer");
                return 1;
            }
        },
        _ => 0,
    };
    let c = match running_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            return 1;
        }
    };
    let r = (|| {
        let mut s = c.session()?;
        let h = s.open(path, libc::O_RDWR)?;
        let r = match &buf {
            Some(b) => s.ioctl_buf(h, cmd, b),
            None => s.ioctl(h, cmd, value).map(|v| (v, Vec::new())),
        };
        let _ = s.close(h);
        r
    })();
    match r {
        Ok((ret, b)) => {
            println!("{ret}");
            if dir & IOC_READ != 0 && !b.is_empty() {
                println!("{}", hex(&b));
            }
            0
        }
        Err(e) => {
            eprintln!("lkm: ioctl: {path}: {}", lkm_modfile::strerror(&e));
            1
        }
    }
}

/// `lkm mknod [-m MODE] PATH c MAJOR MINOR`.
pub fn mknod(path: &str, kind: &str, major: &str, minor: &str, mode: Option<&str>) -> i32 {
    if kind != "c" && kind != "u" {
        eprintln!("lkm: mknod: only character devices (c) are supported");
        return 1;
    }
    let (Some(ma), Some(mi)) = (parse_int(major), parse_int(minor)) else {
        eprintln!("lkm: mknod: invalid major or minor number");
        return 1;
    };
    if ma > 0xfff || mi > 0xfffff {
        eprintln!("lkm: mknod: invalid major or minor number");
        return 1;
    }
    let perm = match mode.map(|m| u32::from_str_radix(m, 8)) {
        None => 0o644,
        Some(Ok(p)) if p <= 0o7777 => p,
        Some(_) => {
            eprintln!("lkm: mknod: invalid mode '{}'", mode.unwrap_or(""));
            return 1;
        }
    };
    let c = match running_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            return 1;
        }
    };
    match c
        .session()
        .and_then(|mut s| s.mknod(path, perm, ma as u32, mi as u32))
    {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lkm: mknod: {path}: {}", lkm_modfile::strerror(&e));
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_like_the_macros() {
        assert_eq!(parse_cmd("_IOR('a',1,8)").unwrap(), 0x8008_6101);
        assert_eq!(parse_cmd("_IOW(a, 2, 4)").unwrap(), 0x4004_6102);
        assert_eq!(parse_cmd("_IOWR('k',3,16)").unwrap(), 0xc010_6b03);
        assert_eq!(parse_cmd("_IO('a',4)").unwrap(), 0x6104);
        assert_eq!(parse_cmd("0x6104").unwrap(), 0x6104);
        assert!(parse_cmd("_IOR('a',1)").is_err());
        assert_eq!(parse_hex("01:ff 10"), Some(vec![1, 0xff, 0x10]));
    }
}
