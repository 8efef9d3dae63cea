//! The kernel's `vsnprintf` (lib/vsprintf.c), over raw 64-bit argument slots.
//!
//! On x86_64 every integer and pointer vararg occupies one 8-byte slot, so the formatter asks for
//! each argument as a `u64` and narrows it the way the kernel's `va_arg` types do: `hh` to a byte,
//! `h` to a short, no qualifier to an `int`, `l ll L z t` to 64 bits, sign-extending for `d`/`i`.
//!
//! The kernel's behaviour is kept where it differs from C99/glibc:
//!
//! * an invalid or unsupported conversion (including `%n`, `%j…`, a lone `%` at the end) stops
//!   the output there, like the kernel's `FORMAT_TYPE_INVALID` (`goto out`);
//! * `%#x` of 0 prints `0x0`; `%.0d` of 0 prints `0`; the `0` flag still pads when a precision is
//!   given (`%08.3d` of 5 is `00000005`); `%.d` (a dot without digits) means "no precision";
//! * a negative `*` precision becomes 0 (C99 would treat it as absent);
//! * `%p` and `%pK` print the raw address like `%px` (16 zero-padded hex digits, no `0x`) instead of
//!   the kernel's siphash of it: a sandbox has nothing to hide, and a stable value is more useful;
//! * `%pS %ps %pF %pf %pB` (with or without `R`) go through [`FormatEnv::symbol`], and print
//!   `name+0xoff/0xsize [module]` / `name [module]` like `sprint_symbol`, or `0x<addr>`;
//! * `%pa[p|d]`, `%pM %pm %pMF %pMR`, `%pI4 %pi4` (with `h n b l`), `%pI6 %pi6 %pI6c`, `%pU[bBlL]`
//!   and `%*ph[CDN]` read the pointed-to bytes through [`FormatEnv::read_memory`];
//! * other kernel extensions that need kernel structures (`%pd %pD %pg %pR %pr %pb %pE %pV %pN %pt
//!   %pC %pG %pO` and `%pIS`) print `(%p<c>?)` through the kernel's error-string path; unknown
//!   letters after `%p` fall back to the plain pointer, as in the kernel;
//! * pointers that the kernel's `check_pointer` rejects print `(null)` (0) or `(efault)` (below
//!   4096 or an `ERR_PTR` value), and so does memory the environment cannot read;
//! * field widths are clamped to ±8388607 and precisions to 0..=32767, the kernel's bit-field
//!   limits (the kernel only clamps `*` values; literal ones are clamped here too).

/// A symbol found for an address, as kallsyms would report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolInfo {
    pub name: String,
    /// Offset of the address from the symbol's start.
    pub offset: u64,
    /// Size of the symbol.
    pub size: u64,
    /// The module that holds the symbol, `None` for the core kernel.
    pub module: Option<String>,
}

/// What the formatter needs from the kernel it runs in.
pub trait FormatEnv {
    /// Fill `buf` from `addr`; `false` means the read faulted (nothing usable in `buf`).
    fn read_memory(&self, addr: u64, buf: &mut [u8]) -> bool;
    /// The symbol containing `addr`, if any.
    fn symbol(&self, addr: u64) -> Option<SymbolInfo>;
}

/// An environment where every read faults and no symbol is known.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEnv;

impl FormatEnv for NoEnv {
    fn read_memory(&self, _addr: u64, _buf: &mut [u8]) -> bool {
        false
    }
    fn symbol(&self, _addr: u64) -> Option<SymbolInfo> {
        None
    }
}

const ZEROPAD: u8 = 1;
const SIGN: u8 = 2;
const PLUS: u8 = 4;
const SPACE: u8 = 8;
const LEFT: u8 = 16;
const SMALL: u8 = 32;
const SPECIAL: u8 = 64;

/// The kernel's `FIELD_WIDTH_MAX`.
pub const FIELD_WIDTH_MAX: i32 = (1 << 23) - 1;
/// The kernel's `PRECISION_MAX`.
pub const PRECISION_MAX: i32 = (1 << 15) - 1;
/// Longest string `%s` reads without a precision (a guard against unterminated strings).
pub const STRING_READ_MAX: usize = 1 << 20;
const PAGE_SIZE: u64 = 4096;
const MAX_ERRNO: u64 = 4095;

#[derive(Clone, Copy, Debug)]
struct Spec {
    flags: u8,
    field_width: i32,
    precision: i32,
    base: u32,
}

/// Output with `vsnprintf`'s size semantics: everything is counted, bytes past the limit dropped.
struct Out {
    buf: Vec<u8>,
    limit: usize,
    count: usize,
}

impl Out {
    fn push(&mut self, b: u8) {
        if self.buf.len() < self.limit {
            self.buf.push(b);
        }
        self.count += 1;
    }
    fn extend(&mut self, s: &[u8]) {
        for &b in s {
            self.push(b);
        }
    }
    fn pad(&mut self, b: u8, n: i64) {
        for _ in 0..n.max(0) {
            self.push(b);
        }
    }
}

/// Format like the kernel's `vsprintf` (no size limit).
pub fn format(fmt: &[u8], args: &mut dyn FnMut() -> u64, env: &dyn FormatEnv) -> Vec<u8> {
    vsnprintf(fmt, args, env, usize::MAX).0
}

/// Format like the kernel's `vsnprintf(buf, size, ...)`: the returned bytes are at most
/// `size - 1` long (no terminating NUL is included), and the count is the length the whole output
/// would have had. Arguments are consumed as far as the format goes, whatever the size.
pub fn vsnprintf(
    fmt: &[u8],
    args: &mut dyn FnMut() -> u64,
    env: &dyn FormatEnv,
    size: usize,
) -> (Vec<u8>, usize) {
    let mut out = Out {
        buf: Vec::new(),
        limit: size.saturating_sub(1),
        count: 0,
    };
    // The format is a C string: it ends at the first NUL.
    let fmt = match fmt.iter().position(|&b| b == 0) {
        Some(n) => &fmt[..n],
        None => fmt,
    };
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            let end = fmt[i..]
                .iter()
                .position(|&b| b == b'%')
                .map_or(fmt.len(), |n| i + n);
            out.extend(&fmt[i..end]);
            i = end;
            continue;
        }
        i += 1;
        let mut spec = Spec {
            flags: 0,
            field_width: -1,
            precision: -1,
            base: 10,
        };
        while let Some(&c) = fmt.get(i) {
            let f = match c {
                b'-' => LEFT,
                b'+' => PLUS,
                b' ' => SPACE,
                b'#' => SPECIAL,
                b'0' => ZEROPAD,
                _ => break,
            };
            spec.flags |= f;
            i += 1;
        }
        if fmt.get(i).is_some_and(u8::is_ascii_digit) {
            spec.field_width = skip_atoi(fmt, &mut i).min(FIELD_WIDTH_MAX);
        } else if fmt.get(i) == Some(&b'*') {
            i += 1;
            let w = (args() as i32).clamp(-FIELD_WIDTH_MAX, FIELD_WIDTH_MAX);
            if w < 0 {
                spec.field_width = -w;
                spec.flags |= LEFT;
            } else {
                spec.field_width = w;
            }
        }
        if fmt.get(i) == Some(&b'.') {
            i += 1;
            if fmt.get(i).is_some_and(u8::is_ascii_digit) {
                spec.precision = skip_atoi(fmt, &mut i).min(PRECISION_MAX);
            } else if fmt.get(i) == Some(&b'*') {
                i += 1;
                spec.precision = (args() as i32).clamp(0, PRECISION_MAX);
            }
        }
        let mut qualifier = 0u8;
        if let Some(&q) = fmt.get(i) {
            if matches!(q, b'h' | b'l' | b'L' | b'z' | b't') {
                qualifier = q;
                i += 1;
                if fmt.get(i) == Some(&q) {
                    if q == b'l' {
                        qualifier = b'L';
                        i += 1;
                    } else if q == b'h' {
                        qualifier = b'H';
                        i += 1;
                    }
                }
            }
        }
        let Some(&conv) = fmt.get(i) else { break };
        i += 1;
        match conv {
            b'c' => {
                let c = args() as u8;
                if spec.flags & LEFT == 0 {
                    out.pad(b' ', i64::from(spec.field_width) - 1);
                    out.push(c);
                } else {
                    out.push(c);
                    out.pad(b' ', i64::from(spec.field_width) - 1);
                }
            }
            b's' => {
                let addr = args();
                string(&mut out, env, addr, spec);
            }
            b'p' => {
                let ptr = args();
                let ext_start = i;
                while fmt.get(i).is_some_and(u8::is_ascii_alphanumeric) {
                    i += 1;
                }
                pointer(&mut out, env, &fmt[ext_start..i], ptr, spec);
            }
            b'%' => out.push(b'%'),
            b'o' | b'x' | b'X' | b'd' | b'i' | b'u' => {
                match conv {
                    b'o' => spec.base = 8,
                    b'x' => {
                        spec.flags |= SMALL;
                        spec.base = 16;
                    }
                    b'X' => spec.base = 16,
                    b'd' | b'i' => spec.flags |= SIGN,
                    _ => {}
                }
                let raw = args();
                let signed = spec.flags & SIGN != 0;
                let num = match qualifier {
                    b'L' | b'l' | b'z' | b't' => raw,
                    b'H' if signed => raw as i8 as u64,
                    b'H' => u64::from(raw as u8),
                    b'h' if signed => raw as i16 as u64,
                    b'h' => u64::from(raw as u16),
                    _ if signed => raw as i32 as u64,
                    _ => u64::from(raw as u32),
                };
                number(&mut out, num, spec);
            }
            // %n and everything unknown: the kernel gives up on the rest of the format.
            _ => break,
        }
    }
    let count = out.count;
    (out.buf, count)
}

fn skip_atoi(fmt: &[u8], i: &mut usize) -> i32 {
    let mut v: i32 = 0;
    while let Some(&c) = fmt.get(*i) {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(i32::from(c - b'0'));
        *i += 1;
    }
    v
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The kernel's `number()`.
fn number(out: &mut Out, mut num: u64, spec: Spec) {
    let need_pfx = spec.flags & SPECIAL != 0 && spec.base != 10;
    let is_zero = num == 0;
    let mut field_width = i64::from(spec.field_width);
    let mut precision = i64::from(spec.precision);
    let locase = spec.flags & SMALL;
    let mut flags = spec.flags;
    if flags & LEFT != 0 {
        flags &= !ZEROPAD;
    }
    let mut sign = 0u8;
    if flags & SIGN != 0 {
        if (num as i64) < 0 {
            sign = b'-';
            num = (num as i64).wrapping_neg() as u64;
            field_width -= 1;
        } else if flags & PLUS != 0 {
            sign = b'+';
            field_width -= 1;
        } else if flags & SPACE != 0 {
            sign = b' ';
            field_width -= 1;
        }
    }
    if need_pfx {
        if spec.base == 16 {
            field_width -= 2;
        } else if !is_zero {
            field_width -= 1;
        }
    }
    // Digits, least significant first.
    let mut tmp = [0u8; 24];
    let mut n = 0usize;
    let base = u64::from(spec.base);
    loop {
        tmp[n] = HEX_UPPER[(num % base) as usize] | locase;
        n += 1;
        num /= base;
        if num == 0 {
            break;
        }
    }
    if n as i64 > precision {
        precision = n as i64;
    }
    field_width -= precision;
    if flags & (ZEROPAD | LEFT) == 0 {
        out.pad(b' ', field_width);
        field_width = -1;
    }
    if sign != 0 {
        out.push(sign);
    }
    if need_pfx {
        if spec.base == 16 || !is_zero {
            out.push(b'0');
        }
        if spec.base == 16 {
            out.push(b'X' | locase);
        }
    }
    if flags & LEFT == 0 {
        let c = if flags & ZEROPAD != 0 { b'0' } else { b' ' };
        out.pad(c, field_width);
        field_width = -1;
    }
    out.pad(b'0', precision - n as i64);
    for k in (0..n).rev() {
        out.push(tmp[k]);
    }
    out.pad(b' ', field_width);
}

/// Pad `s` (already cut to the precision) to the field width.
fn widen(out: &mut Out, s: &[u8], spec: Spec) {
    let spaces = i64::from(spec.field_width) - s.len() as i64;
    if spec.flags & LEFT == 0 {
        out.pad(b' ', spaces);
        out.extend(s);
    } else {
        out.extend(s);
        out.pad(b' ', spaces);
    }
}

/// The kernel's `string_nocheck()` over bytes we already have.
fn string_nocheck(out: &mut Out, s: &[u8], spec: Spec) {
    let mut s = match s.iter().position(|&b| b == 0) {
        Some(n) => &s[..n],
        None => s,
    };
    if spec.precision >= 0 && s.len() > spec.precision as usize {
        s = &s[..spec.precision as usize];
    }
    widen(out, s, spec);
}

/// The kernel's `error_string()`: at most 16 characters unless a precision says otherwise.
fn error_string(out: &mut Out, msg: &[u8], mut spec: Spec) {
    if spec.precision == -1 {
        spec.precision = 16;
    }
    string_nocheck(out, msg, spec);
}

fn check_pointer_msg(ptr: u64) -> Option<&'static [u8]> {
    if ptr == 0 {
        Some(b"(null)")
    } else if !(PAGE_SIZE..=u64::MAX - MAX_ERRNO).contains(&ptr) {
        Some(b"(efault)")
    } else {
        None
    }
}

/// `check_pointer()`: prints the error and returns false when `ptr` is not worth dereferencing.
fn check_pointer(out: &mut Out, ptr: u64, spec: Spec) -> bool {
    match check_pointer_msg(ptr) {
        Some(msg) => {
            error_string(out, msg, spec);
            false
        }
        None => true,
    }
}

/// Read `n` bytes at `ptr` or print `(efault)`.
fn read_exact(
    out: &mut Out,
    env: &dyn FormatEnv,
    ptr: u64,
    n: usize,
    spec: Spec,
) -> Option<Vec<u8>> {
    if !check_pointer(out, ptr, spec) {
        return None;
    }
    let mut buf = vec![0u8; n];
    if env.read_memory(ptr, &mut buf) {
        Some(buf)
    } else {
        error_string(out, b"(efault)", spec);
        None
    }
}

/// `%s`: a NUL-terminated string read in chunks that never cross a page boundary, so a string
/// that ends just before an unmapped page reads fine. A fault before the first byte prints
/// `(efault)`; a fault later ends the string there.
fn string(out: &mut Out, env: &dyn FormatEnv, addr: u64, spec: Spec) {
    if !check_pointer(out, addr, spec) {
        return;
    }
    let limit = if spec.precision >= 0 {
        spec.precision as usize
    } else {
        STRING_READ_MAX
    };
    let mut s = Vec::new();
    let mut cur = addr;
    let mut faulted_at_start = false;
    'outer: while s.len() < limit {
        let to_page_end = (PAGE_SIZE - (cur % PAGE_SIZE)) as usize;
        let n = to_page_end.min(limit - s.len()).min(256);
        let mut chunk = vec![0u8; n];
        if !env.read_memory(cur, &mut chunk) {
            // The chunk may reach past the readable memory: go on byte by byte.
            for k in 0..n as u64 {
                let mut one = [0u8; 1];
                if !env.read_memory(cur + k, &mut one) {
                    faulted_at_start = s.is_empty();
                    break 'outer;
                }
                if one[0] == 0 {
                    break 'outer;
                }
                s.push(one[0]);
            }
            let Some(next) = cur.checked_add(n as u64) else {
                break;
            };
            cur = next;
            continue;
        }
        for &b in &chunk {
            if b == 0 {
                break 'outer;
            }
            s.push(b);
        }
        let Some(next) = cur.checked_add(n as u64) else {
            break;
        };
        cur = next;
    }
    if faulted_at_start {
        error_string(out, b"(efault)", spec);
    } else {
        widen(out, &s, spec);
    }
}

/// `pointer_string()`: hex without `0x`, 16 zero-padded digits unless a width was given.
fn pointer_string(out: &mut Out, ptr: u64, mut spec: Spec) {
    spec.base = 16;
    spec.flags |= SMALL;
    if spec.field_width == -1 {
        spec.field_width = 16;
        spec.flags |= ZEROPAD;
    }
    number(out, ptr, spec);
}

/// `special_hex_number()`: `0x` and `2 * size` zero-padded hex digits.
fn special_hex_number(out: &mut Out, num: u64, size: i32) {
    let spec = Spec {
        flags: SPECIAL | SMALL | ZEROPAD,
        field_width: 2 + 2 * size,
        precision: -1,
        base: 16,
    };
    number(out, num, spec);
}

fn pointer(out: &mut Out, env: &dyn FormatEnv, ext: &[u8], ptr: u64, spec: Spec) {
    let c0 = ext.first().copied().unwrap_or(0);
    let c1 = ext.get(1).copied().unwrap_or(0);
    match c0 {
        b'F' | b'f' | b'S' | b's' | b'B' => symbol_string(out, env, c0, ptr, spec),
        b'x' | b'K' => pointer_string(out, ptr, spec),
        b'a' => {
            if let Some(b) = read_exact(out, env, ptr, 8, spec) {
                let v = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                special_hex_number(out, v, 8);
            }
        }
        b'M' | b'm' => {
            if let Some(b) = read_exact(out, env, ptr, 6, spec) {
                let (sep, reversed) = match c1 {
                    b'F' => (b'-', false),
                    b'R' => (b':', true),
                    _ => (b':', false),
                };
                let mut s = Vec::new();
                for k in 0..6 {
                    let byte = if reversed { b[5 - k] } else { b[k] };
                    hex_byte(&mut s, byte, false);
                    if c0 == b'M' && k != 5 {
                        s.push(sep);
                    }
                }
                string_nocheck(out, &s, spec);
            }
        }
        b'I' | b'i' => match c1 {
            b'4' => {
                if let Some(b) = read_exact(out, env, ptr, 4, spec) {
                    let mut s = Vec::new();
                    let host_order = matches!(ext.get(2), Some(b'h' | b'l'));
                    let bytes: [u8; 4] = if host_order {
                        [b[3], b[2], b[1], b[0]]
                    } else {
                        [b[0], b[1], b[2], b[3]]
                    };
                    ip4(&mut s, &bytes, c0 == b'i');
                    string_nocheck(out, &s, spec);
                }
            }
            b'6' => {
                if let Some(b) = read_exact(out, env, ptr, 16, spec) {
                    let mut s = Vec::new();
                    if c0 == b'I' && ext.get(2) == Some(&b'c') {
                        ip6_compressed(&mut s, &b);
                    } else {
                        for (k, &byte) in b.iter().enumerate() {
                            hex_byte(&mut s, byte, false);
                            if c0 == b'I' && k % 2 == 1 && k != 15 {
                                s.push(b':');
                            }
                        }
                    }
                    string_nocheck(out, &s, spec);
                }
            }
            b'S' => {
                let msg = format!("(%p{}S?)", c0 as char);
                error_string(out, msg.as_bytes(), spec);
            }
            _ => error_string(out, b"(invalid address)", spec),
        },
        b'U' => {
            if let Some(b) = read_exact(out, env, ptr, 16, spec) {
                let (upper, little) = match c1 {
                    b'B' => (true, false),
                    b'l' => (false, true),
                    b'L' => (true, true),
                    _ => (false, false),
                };
                const BE: [usize; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
                const LE: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
                let index = if little { &LE } else { &BE };
                let mut s = Vec::new();
                for (k, &ix) in index.iter().enumerate() {
                    hex_byte(&mut s, b[ix], upper);
                    if matches!(k, 3 | 5 | 7 | 9) {
                        s.push(b'-');
                    }
                }
                string_nocheck(out, &s, spec);
            }
        }
        b'h' => {
            if spec.field_width == 0 {
                return;
            }
            let sep = match c1 {
                b'C' => Some(b':'),
                b'D' => Some(b'-'),
                b'N' => None,
                _ => Some(b' '),
            };
            let len = if spec.field_width < 0 {
                1
            } else {
                spec.field_width.min(64) as usize
            };
            if let Some(b) = read_exact(out, env, ptr, len, spec) {
                for (k, &byte) in b.iter().enumerate() {
                    let mut s = Vec::new();
                    hex_byte(&mut s, byte, false);
                    out.extend(&s);
                    if let Some(sep) = sep {
                        if k != len - 1 {
                            out.push(sep);
                        }
                    }
                }
            }
        }
        b'd' | b'D' | b'g' | b'R' | b'r' | b'b' | b'E' | b'V' | b'N' | b't' | b'C' | b'G'
        | b'O' => {
            let msg = format!("(%p{}?)", c0 as char);
            error_string(out, msg.as_bytes(), spec);
        }
        _ => pointer_string(out, ptr, spec),
    }
}

fn hex_byte(s: &mut Vec<u8>, b: u8, upper: bool) {
    let digits: &[u8; 16] = if upper {
        HEX_UPPER
    } else {
        b"0123456789abcdef"
    };
    s.push(digits[usize::from(b >> 4)]);
    s.push(digits[usize::from(b & 15)]);
}

fn ip4(s: &mut Vec<u8>, b: &[u8; 4], leading_zeros: bool) {
    for (k, &byte) in b.iter().enumerate() {
        if leading_zeros {
            s.extend_from_slice(format!("{byte:03}").as_bytes());
        } else {
            s.extend_from_slice(byte.to_string().as_bytes());
        }
        if k != 3 {
            s.push(b'.');
        }
    }
}

/// `ip6_compressed_string()`: RFC 5952 style, IPv4-mapped and ISATAP tails in dotted form.
fn ip6_compressed(s: &mut Vec<u8>, b: &[u8]) {
    let word = |k: usize| u16::from_be_bytes([b[2 * k], b[2 * k + 1]]);
    let v4mapped = b[..10].iter().all(|&x| x == 0) && word(5) == 0xffff;
    let isatap = (b[8] | 0x02) == 0x02 && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe;
    let use_ipv4 = v4mapped || isatap;
    let range = if use_ipv4 { 6 } else { 8 };
    let mut longest = 1usize;
    let mut colonpos: Option<usize> = None;
    for i in 0..range {
        let mut j = i;
        while j < range && word(j) == 0 {
            j += 1;
        }
        if j - i > longest {
            longest = j - i;
            colonpos = Some(i);
        }
    }
    if longest == 1 {
        colonpos = None;
    }
    let mut needcolon = false;
    let mut i = 0;
    while i < range {
        if Some(i) == colonpos {
            if needcolon || i == 0 {
                s.push(b':');
            }
            s.push(b':');
            needcolon = false;
            i += longest;
            continue;
        }
        if needcolon {
            s.push(b':');
        }
        s.extend_from_slice(format!("{:x}", word(i)).as_bytes());
        needcolon = true;
        i += 1;
    }
    if use_ipv4 {
        if needcolon {
            s.push(b':');
        }
        ip4(s, &[b[12], b[13], b[14], b[15]], false);
    }
}

/// `symbol_string()` with kallsyms: `sprint_symbol`, `sprint_symbol_no_offset`, `sprint_backtrace`.
fn symbol_string(out: &mut Out, env: &dyn FormatEnv, kind: u8, value: u64, spec: Spec) {
    let backtrace = kind == b'B';
    let with_offset = !matches!(kind, b's' | b'f');
    let lookup = if backtrace {
        value.wrapping_sub(1)
    } else {
        value
    };
    let text = match env.symbol(lookup) {
        None => format!("0x{value:x}"),
        Some(sym) => {
            let mut t = sym.name.clone();
            if with_offset {
                let offset = if backtrace {
                    sym.offset.wrapping_add(1)
                } else {
                    sym.offset
                };
                t.push_str(&format!("+{}/{}", hash_hex(offset), hash_hex(sym.size)));
            }
            if let Some(m) = &sym.module {
                t.push_str(&format!(" [{m}]"));
            }
            t
        }
    };
    string_nocheck(out, text.as_bytes(), spec);
}

/// The kernel's `%#lx`: `0x` even for zero.
fn hash_hex(v: u64) -> String {
    format!("0x{v:x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Memory made of a few regions, and a symbol table.
    #[derive(Default)]
    struct TestEnv {
        mem: BTreeMap<u64, Vec<u8>>,
        syms: Vec<(u64, SymbolInfo)>,
    }

    impl FormatEnv for TestEnv {
        fn read_memory(&self, addr: u64, buf: &mut [u8]) -> bool {
            for (&base, data) in &self.mem {
                if addr >= base && addr + buf.len() as u64 <= base + data.len() as u64 {
                    let off = (addr - base) as usize;
                    buf.copy_from_slice(&data[off..off + buf.len()]);
                    return true;
                }
            }
            false
        }
        fn symbol(&self, addr: u64) -> Option<SymbolInfo> {
            self.syms
                .iter()
                .find(|(start, s)| addr >= *start && addr < start + s.size)
                .map(|(start, s)| {
                    let mut s = s.clone();
                    s.offset = addr - start;
                    s
                })
        }
    }

    fn f(fmt: &str, args: &[u64]) -> String {
        fe(fmt, args, &NoEnv)
    }

    fn fe(fmt: &str, args: &[u64], env: &dyn FormatEnv) -> String {
        let mut it = args.iter().copied();
        let mut next = || {
            it.next()
                .expect("format consumed more arguments than given")
        };
        String::from_utf8(format(fmt.as_bytes(), &mut next, env)).unwrap()
    }

    fn neg(v: i64) -> u64 {
        v as u64
    }

    #[test]
    fn integers_like_printf() {
        // Cases where the kernel and glibc agree (checked against glibc's printf).
        let cases: &[(&str, &[u64], &str)] = &[
            ("%d", &[42], "42"),
            ("%d", &[neg(-42)], "-42"),
            ("%d", &[0xffff_ffff], "-1"),
            ("%u", &[0xffff_ffff], "4294967295"),
            ("%u", &[neg(-1)], "4294967295"),
            ("%d", &[0x8000_0000], "-2147483648"),
            ("%i", &[0x7fff_ffff], "2147483647"),
            ("%ld", &[0x8000_0000_0000_0000], "-9223372036854775808"),
            ("%lld", &[0x8000_0000_0000_0000], "-9223372036854775808"),
            ("%llu", &[u64::MAX], "18446744073709551615"),
            ("%Ld", &[neg(-5)], "-5"),
            ("%zu", &[u64::MAX], "18446744073709551615"),
            ("%zd", &[neg(-3)], "-3"),
            ("%td", &[neg(-3)], "-3"),
            ("%hd", &[0x18000], "-32768"),
            ("%hu", &[0x18000], "32768"),
            ("%hhd", &[0x1ff], "-1"),
            ("%hhu", &[0x1ff], "255"),
            ("%hhx", &[0x1234], "34"),
            ("%5d", &[42], "   42"),
            ("%-5d|", &[42], "42   |"),
            ("%05d", &[42], "00042"),
            ("%05d", &[neg(-42)], "-0042"),
            ("%+d", &[42], "+42"),
            ("% d", &[42], " 42"),
            ("%+ d", &[42], "+42"),
            ("%+d", &[neg(-42)], "-42"),
            ("%+u", &[42], "42"),
            ("%.5d", &[42], "00042"),
            ("%8.5d", &[neg(-42)], "  -00042"),
            ("%-8.5d|", &[42], "00042   |"),
            ("%x", &[0xdead_beef], "deadbeef"),
            ("%X", &[0xdead_beef], "DEADBEEF"),
            ("%#x", &[255], "0xff"),
            ("%#X", &[255], "0XFF"),
            ("%#10x", &[255], "      0xff"),
            ("%#010x", &[255], "0x000000ff"),
            ("%-#10x|", &[255], "0xff      |"),
            ("%lx", &[u64::MAX], "ffffffffffffffff"),
            ("%x", &[u64::MAX], "ffffffff"),
            ("%o", &[8], "10"),
            ("%#o", &[8], "010"),
            ("%#o", &[0], "0"),
            ("%#5o", &[8], "  010"),
            ("%2d", &[100], "100"),
            ("%.3x", &[10], "00a"),
            ("%c", &[b'A' as u64], "A"),
            ("%-5c|", &[b'A' as u64], "A    |"),
            ("%5c|", &[b'A' as u64], "    A|"),
            ("%c", &[0x141], "A"),
            ("100%%", &[], "100%"),
            ("%d %s %d", &[1, 0, 2], "1 (null) 2"),
            ("%*d", &[5, 42], "   42"),
            ("%*d|", &[neg(-5), 42], "42   |"),
            ("%-*d|", &[5, 42], "42   |"),
            ("%.*d", &[4, 42], "0042"),
            ("%*.*d", &[6, 4, 42], "  0042"),
        ];
        for (fmt, args, want) in cases {
            assert_eq!(f(fmt, args), *want, "format {fmt:?} args {args:?}");
        }
    }

    #[test]
    fn kernel_specific_integers() {
        // Where the kernel deliberately or historically differs from glibc.
        assert_eq!(f("%#x", &[0]), "0x0"); // glibc: "0"
        assert_eq!(f("%.0d", &[0]), "0"); // glibc: ""
        assert_eq!(f("%08.3d", &[5]), "00000005"); // glibc: "     005"
        assert_eq!(f("%.d", &[7]), "7");
        assert_eq!(f("%.*d", &[neg(-1), 0]), "0"); // negative precision -> 0, and 0 prints "0"
        assert_eq!(f("%-05d|", &[3]), "3    |");
        assert_eq!(f("%#08o", &[8]), "00000010");
    }

    #[test]
    fn invalid_conversions_stop_output() {
        assert_eq!(f("a%nb", &[]), "a");
        assert_eq!(f("x=%jd y", &[1]), "x=");
        assert_eq!(f("abc%", &[]), "abc");
        assert_eq!(f("%q%d", &[1]), "");
        assert_eq!(f("%5%|", &[]), "%|");
    }

    #[test]
    fn format_ends_at_nul() {
        let mut next = || 1u64;
        assert_eq!(format(b"ab\0%d", &mut next, &NoEnv), b"ab");
    }

    #[test]
    fn strings() {
        let mut env = TestEnv::default();
        env.mem.insert(0x10000, b"hello\0world".to_vec());
        // A string running to the end of readable memory, right at a page boundary.
        let mut tail = vec![b'x'; 10];
        tail[9] = b'y';
        env.mem.insert(0x20000 - 10, tail);
        assert_eq!(fe("%s", &[0x10000], &env), "hello");
        assert_eq!(fe("[%8s]", &[0x10000], &env), "[   hello]");
        assert_eq!(fe("[%-8s]", &[0x10000], &env), "[hello   ]");
        assert_eq!(fe("[%.3s]", &[0x10000], &env), "[hel]");
        assert_eq!(fe("[%6.2s]", &[0x10000], &env), "[    he]");
        assert_eq!(fe("[%.*s]", &[2, 0x10000], &env), "[he]");
        assert_eq!(fe("[%.0s]", &[0x10000], &env), "[]");
        assert_eq!(fe("%s", &[0], &env), "(null)");
        assert_eq!(fe("[%8s]", &[0], &env), "[  (null)]");
        assert_eq!(fe("[%.3s]", &[0], &env), "[(nu]");
        assert_eq!(fe("%s", &[0x10], &env), "(efault)");
        assert_eq!(fe("%s", &[neg(-12)], &env), "(efault)");
        assert_eq!(fe("%s", &[0x5000_0000], &env), "(efault)");
        assert_eq!(fe("%s", &[0x20000 - 10], &env), "xxxxxxxxxy");
        assert_eq!(fe("%s", &[0x20000 - 2], &env), "xy");
    }

    #[test]
    fn pointers() {
        assert_eq!(f("%p", &[0xffff_8880_1234_5678]), "ffff888012345678");
        assert_eq!(f("%px", &[0x1234]), "0000000000001234");
        assert_eq!(f("%pK", &[0x1234]), "0000000000001234");
        assert_eq!(f("%p", &[0]), "0000000000000000");
        assert_eq!(f("[%8px]", &[0x1234]), "[    1234]");
        assert_eq!(f("%#px", &[0x1234]), "0x00000000001234");
        // Alphanumerics after %p are the extension and are skipped, like the kernel.
        assert_eq!(f("%pZZ9!", &[0x1234]), "0000000000001234!");
        assert_eq!(f("%p-", &[0x1234]), "0000000000001234-");
    }

    #[test]
    fn symbols() {
        let mut env = TestEnv::default();
        env.syms.push((
            0xffff_ffff_c000_0000,
            SymbolInfo {
                name: "hello_init".into(),
                offset: 0,
                size: 0x40,
                module: Some("hello".into()),
            },
        ));
        env.syms.push((
            0xffff_ffff_8100_0000,
            SymbolInfo {
                name: "printk".into(),
                offset: 0,
                size: 0x80,
                module: None,
            },
        ));
        let a = 0xffff_ffff_c000_001a;
        assert_eq!(fe("%pS", &[a], &env), "hello_init+0x1a/0x40 [hello]");
        assert_eq!(fe("%pSR", &[a], &env), "hello_init+0x1a/0x40 [hello]");
        assert_eq!(fe("%pF", &[a], &env), "hello_init+0x1a/0x40 [hello]");
        assert_eq!(fe("%ps", &[a], &env), "hello_init [hello]");
        assert_eq!(fe("%pf", &[0xffff_ffff_8100_0000], &env), "printk");
        assert_eq!(fe("%pS", &[0xffff_ffff_8100_0000], &env), "printk+0x0/0x80");
        // %pB looks up the address before a return address.
        assert_eq!(
            fe("%pB", &[0xffff_ffff_c000_0040], &env),
            "hello_init+0x40/0x40 [hello]"
        );
        assert_eq!(
            fe("%pS", &[0xffff_ffff_c000_0040], &env),
            "0xffffffffc0000040"
        );
        assert_eq!(fe("%pS", &[0], &env), "0x0");
        assert_eq!(
            fe("[%-10ps]", &[0xffff_ffff_8100_0000], &env),
            "[printk    ]"
        );
    }

    #[test]
    fn pointed_to_values() {
        let mut env = TestEnv::default();
        env.mem
            .insert(0x10000, 0x1_2345_6789u64.to_le_bytes().to_vec());
        env.mem
            .insert(0x11000, vec![0x00, 0x1b, 0x21, 0x3c, 0x9d, 0xf8]);
        env.mem.insert(0x12000, vec![192, 168, 1, 7]);
        env.mem.insert(0x13000, (0u8..16).collect());
        env.mem.insert(
            0x14000,
            vec![
                0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0xff, 0xff, 10, 0, 0, 1,
            ],
        );
        assert_eq!(fe("%pa", &[0x10000], &env), "0x0000000123456789");
        assert_eq!(fe("%pad", &[0x10000], &env), "0x0000000123456789");
        assert_eq!(fe("%pap", &[0x10000], &env), "0x0000000123456789");
        assert_eq!(fe("%pa", &[0], &env), "(null)");
        assert_eq!(fe("%pa", &[0x9999_0000], &env), "(efault)");
        assert_eq!(fe("%pM", &[0x11000], &env), "00:1b:21:3c:9d:f8");
        assert_eq!(fe("%pMF", &[0x11000], &env), "00-1b-21-3c-9d-f8");
        assert_eq!(fe("%pMR", &[0x11000], &env), "f8:9d:3c:21:1b:00");
        assert_eq!(fe("%pm", &[0x11000], &env), "001b213c9df8");
        assert_eq!(fe("%pI4", &[0x12000], &env), "192.168.1.7");
        assert_eq!(fe("%pi4", &[0x12000], &env), "192.168.001.007");
        assert_eq!(fe("%pI4h", &[0x12000], &env), "7.1.168.192");
        assert_eq!(
            fe("%pU", &[0x13000], &env),
            "00010203-0405-0607-0809-0a0b0c0d0e0f"
        );
        assert_eq!(
            fe("%pUL", &[0x13000], &env),
            "03020100-0504-0706-0809-0A0B0C0D0E0F"
        );
        assert_eq!(
            fe("%pI6", &[0x14000], &env),
            "2001:0db8:0000:0000:0000:0000:0000:0001"
        );
        assert_eq!(
            fe("%pi6", &[0x14000], &env),
            "20010db8000000000000000000000001"
        );
        assert_eq!(fe("%pI6c", &[0x14000], &env), "2001:db8::1");
        assert_eq!(fe("%pI6c", &[0x14010], &env), "::ffff:10.0.0.1");
        assert_eq!(fe("%*ph", &[4, 0x13000], &env), "00 01 02 03");
        assert_eq!(fe("%*phC", &[3, 0x13000], &env), "00:01:02");
        assert_eq!(fe("%*phN", &[3, 0x13000], &env), "000102");
        assert_eq!(fe("%ph", &[0x13000], &env), "00");
        assert_eq!(fe("%pd", &[0x13000], &env), "(%pd?)");
    }

    #[test]
    fn size_limit_counts_everything() {
        let mut it = [12345u64].into_iter();
        let mut next = || it.next().unwrap();
        let (s, n) = vsnprintf(b"ab%dcd", &mut next, &NoEnv, 4);
        assert_eq!(s, b"ab1");
        assert_eq!(n, 9);
        let mut next = || 0u64;
        assert_eq!(vsnprintf(b"xyz", &mut next, &NoEnv, 0), (Vec::new(), 3));
    }

    #[test]
    fn huge_widths_are_clamped() {
        let s = f("%*d", &[u64::from(u32::MAX >> 1), 1]);
        assert_eq!(s.len(), FIELD_WIDTH_MAX as usize);
        let s = f("%.99999d", &[1]);
        assert_eq!(s.len(), PRECISION_MAX as usize);
    }
}
