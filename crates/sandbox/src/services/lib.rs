//! Kernel services: library routines (lib/): `sscanf`/`vsscanf` and the kfifo core.
//!
//! The variadic and caller-sensitive entry points are C (`csrc/lib.c`); what they do is here. Every
//! module pointer is read or written through [`crate::mem`]'s checked copies. A bad one is not
//! ignored: the call fills a [`BadAccess`] and returns, and the C entry ends the module's call as
//! the page fault Linux would have taken inside the kernel function (an oops naming the function,
//! the address, and whether it was a read or a write).
//!
//! kfifo (lib/kfifo.c): `struct __kfifo { unsigned int in, out, mask, esize; void *data; }` lives
//! in module memory; `in` and `out` run freely and wrap, `mask` is the element count minus one (a
//! power of two: `kfifo_alloc` rounds the size up, `kfifo_init` rounds the buffer down), and the
//! lengths are in elements of `esize` bytes. `kfifo_alloc`'s buffer comes from the memory area's
//! kmalloc, accounted to the calling module.

use std::ffi::{c_char, c_void};

use lkm_printk::vsscanf::{self, Assign};

use super::{func_export, ExportEntry};
use crate::kernel::kernel;
use crate::mem;

/// A bad module pointer met by a host export. Mirrors `struct lkm_bad_access` in `csrc/lib.c`.
#[repr(C)]
#[derive(Debug, Default)]
pub struct BadAccess {
    pub addr: u64,
    /// Where the fault is reported to be: the export's own address.
    pub rip: u64,
    /// The page-fault error code: 2 a write, | 1 the page is present (a protection violation).
    pub err: i32,
    pub faulted: i32,
}

/// Records a bad access by the export `func` (first one wins).
fn bad(out: *mut BadAccess, func: &str, addr: u64, write: bool) {
    let rip = if crate::kernel::booted() {
        kernel().ksyms.get(func).map(|s| s.addr).unwrap_or(0)
    } else {
        0
    };
    let mut probe = [0u8; 1];
    let present = mem::read(addr, &mut probe);
    let b = BadAccess {
        addr,
        rip,
        err: (write as i32) << 1 | present as i32,
        faulted: 1,
    };
    // SAFETY: `out` is the address of a local in the C entry point that called us.
    unsafe {
        if !out.is_null() && (*out).faulted == 0 {
            *out = b;
        }
    }
}

/// The first unreadable byte of `[addr, addr+len)` (for the report), or `addr`.
fn first_bad(addr: u64, len: usize, readable: bool) -> u64 {
    let mut at = addr;
    let end = addr.saturating_add(len as u64);
    while at < end {
        let page_end = ((at | 4095) + 1).min(end);
        let ok = if readable {
            let mut b = vec![0u8; (page_end - at) as usize];
            mem::read(at, &mut b)
        } else {
            false
        };
        if !ok {
            return at;
        }
        at = page_end;
    }
    addr
}

// ---------------------------------------------------------------------------------------------
// sscanf

extern "C" {
    fn lkm_va_arg_ulong(ap: *mut c_void) -> u64;
}

/// The longest input `sscanf` reads (the kernel has no limit; a module string this long is
/// unheard of).
const SSCANF_INPUT_MAX: usize = 1 << 20;

/// `vsscanf(buf, fmt, ap)`: scans with the kernel's rules ([`lkm_printk::vsscanf`]), taking one
/// pointer from `ap` per assignment and writing through it.
#[no_mangle]
pub extern "C" fn lkm_vsscanf(
    buf: *const c_char,
    fmt: *const c_char,
    ap: *mut c_void,
    out: *mut BadAccess,
) -> i32 {
    let Ok(fmt_bytes) = mem::read_cstr(fmt as u64, 4096) else {
        bad(out, "vsscanf", fmt as u64, false);
        return 0;
    };
    let Ok(input) = mem::read_cstr(buf as u64, SSCANF_INPUT_MAX) else {
        bad(out, "vsscanf", buf as u64, false);
        return 0;
    };
    scan_va(&input, &fmt_bytes, ap, out)
}

/// The scan proper, with the pointers from the C `va_list` at `ap`.
fn scan_va(input: &[u8], fmt: &[u8], ap: *mut c_void, out: *mut BadAccess) -> i32 {
    let mut store = |a: Assign<'_>| {
        // SAFETY: `ap` is the live va_list of the C entry point; the format names one pointer
        // argument per assignment, as the module's C code promised.
        let ptr = unsafe { lkm_va_arg_ulong(ap) };
        let bytes: Vec<u8> = match a {
            Assign::Int { size, value } => value.to_le_bytes()[..size].to_vec(),
            Assign::Str(s) => {
                let mut v = s.to_vec();
                v.push(0);
                v
            }
            Assign::Chars(s) => s.to_vec(),
            Assign::Count(n) => n.to_le_bytes().to_vec(),
        };
        if mem::write(ptr, &bytes) {
            true
        } else {
            bad(out, "vsscanf", ptr, true);
            false
        }
    };
    vsscanf::vsscanf(input, fmt, &mut store)
}

// ---------------------------------------------------------------------------------------------
// kfifo

/// `struct __kfifo`, as read from module memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kfifo {
    r#in: u32,
    out: u32,
    mask: u32,
    esize: u32,
    data: u64,
}

impl Kfifo {
    fn read(addr: u64) -> Option<Kfifo> {
        let mut b = [0u8; 24];
        if !mem::read(addr, &mut b) {
            return None;
        }
        let u = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        Some(Kfifo {
            r#in: u(0),
            out: u(4),
            mask: u(8),
            esize: u(12),
            data: u64::from_le_bytes(b[16..24].try_into().unwrap()),
        })
    }

    fn write(&self, addr: u64) -> bool {
        let mut b = Vec::with_capacity(24);
        for v in [self.r#in, self.out, self.mask, self.esize] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&self.data.to_le_bytes());
        mem::write(addr, &b)
    }

    /// Byte offset in `data` of element index `idx`, the ring's size in bytes, and `len`
    /// elements in bytes (`kfifo_copy_in`/`kfifo_copy_out`).
    fn span(&self, idx: u32, len: u32) -> (u64, u64, u64) {
        let esize = self.esize as u64;
        let off = (idx & self.mask) as u64 * esize;
        let size = (self.mask as u64 + 1) * esize;
        (off, size, len as u64 * esize)
    }
}

/// `roundup_pow_of_two` for a kfifo size (0 stays 0, which the callers reject).
fn roundup_pow_of_two(n: u32) -> u64 {
    if n == 0 {
        0
    } else {
        (n as u64).next_power_of_two()
    }
}

/// `rounddown_pow_of_two` (0 stays 0).
fn rounddown_pow_of_two(n: u32) -> u32 {
    if n == 0 {
        0
    } else {
        1 << (31 - n.leading_zeros())
    }
}

/// `__kfifo_alloc(fifo, size, esize, gfp)`: a ring of `size` elements rounded up to a power of
/// two, from kmalloc (accounted to the module at `caller`). 0, `-EINVAL` (fewer than 2 elements)
/// or `-ENOMEM`.
#[no_mangle]
pub extern "C" fn lkm_kfifo_alloc(
    fifo: u64,
    size: u32,
    esize: usize,
    gfp: u32,
    caller: *const c_void,
    out: *mut BadAccess,
) -> i32 {
    let size = roundup_pow_of_two(size);
    let mut f = Kfifo {
        r#in: 0,
        out: 0,
        mask: 0,
        esize: esize as u32,
        data: 0,
    };
    if !f.write(fifo) {
        bad(out, "__kfifo_alloc", fifo, true);
        return 0;
    }
    if size < 2 || size > u32::MAX as u64 {
        return -libc::EINVAL;
    }
    let Some(bytes) = (esize as u64).checked_mul(size) else {
        return -libc::ENOMEM;
    };
    let p = super::memory::lkm_kmalloc(bytes as usize, gfp, caller) as u64;
    if p == 0 {
        return -libc::ENOMEM;
    }
    f.data = p;
    f.mask = (size - 1) as u32;
    if !f.write(fifo) {
        bad(out, "__kfifo_alloc", fifo, true);
    }
    0
}

/// `__kfifo_free(fifo)`: frees the buffer (kfree) and clears the fifo.
#[no_mangle]
pub extern "C" fn lkm_kfifo_free(fifo: u64, caller: *const c_void, out: *mut BadAccess) {
    let Some(f) = Kfifo::read(fifo) else {
        bad(out, "__kfifo_free", fifo, false);
        return;
    };
    super::memory::lkm_kfree(f.data as *const c_void, 0, caller);
    let cleared = Kfifo {
        r#in: 0,
        out: 0,
        mask: 0,
        esize: 0,
        data: 0,
    };
    if !cleared.write(fifo) {
        bad(out, "__kfifo_free", fifo, true);
    }
}

/// `__kfifo_init(fifo, buffer, size, esize)`: a ring over the caller's `size`-byte buffer, with
/// as many elements as fit rounded down to a power of two. 0 or `-EINVAL`.
#[no_mangle]
pub extern "C" fn lkm_kfifo_init(
    fifo: u64,
    buffer: u64,
    size: u32,
    esize: usize,
    out: *mut BadAccess,
) -> i32 {
    let mut n = if esize == 0 {
        0
    } else {
        (size as u64 / esize as u64) as u32
    };
    if !n.is_power_of_two() {
        n = rounddown_pow_of_two(n);
    }
    let mut f = Kfifo {
        r#in: 0,
        out: 0,
        mask: 0,
        esize: esize as u32,
        data: buffer,
    };
    let r = if n < 2 {
        -libc::EINVAL
    } else {
        f.mask = n - 1;
        0
    };
    if !f.write(fifo) {
        bad(out, "__kfifo_init", fifo, true);
    }
    r
}

/// `__kfifo_in(fifo, buf, len)`: copies at most `len` elements in (as many as there is room
/// for); returns how many.
#[no_mangle]
pub extern "C" fn lkm_kfifo_in(fifo: u64, buf: u64, len: u32, out: *mut BadAccess) -> u32 {
    let Some(mut f) = Kfifo::read(fifo) else {
        bad(out, "__kfifo_in", fifo, false);
        return 0;
    };
    let unused = f
        .mask
        .wrapping_add(1)
        .wrapping_sub(f.r#in.wrapping_sub(f.out));
    let len = len.min(unused);
    let (off, size, bytes) = f.span(f.r#in, len);
    let mut src = vec![0u8; bytes as usize];
    if !mem::read(buf, &mut src) {
        bad(out, "__kfifo_in", first_bad(buf, src.len(), true), false);
        return 0;
    }
    let first = bytes.min(size - off) as usize;
    if !mem::write(f.data + off, &src[..first]) {
        bad(out, "__kfifo_in", f.data + off, true);
        return 0;
    }
    if !mem::write(f.data, &src[first..]) {
        bad(out, "__kfifo_in", f.data, true);
        return 0;
    }
    f.r#in = f.r#in.wrapping_add(len);
    if !mem::write(fifo, &f.r#in.to_le_bytes()) {
        bad(out, "__kfifo_in", fifo, true);
    }
    len
}

/// `__kfifo_out(fifo, buf, len)` (and `__kfifo_out_peek` with `peek`, which leaves the elements
/// in): copies at most `len` elements out; returns how many.
#[no_mangle]
pub extern "C" fn lkm_kfifo_out(
    fifo: u64,
    buf: u64,
    len: u32,
    peek: i32,
    out: *mut BadAccess,
) -> u32 {
    let func = if peek != 0 {
        "__kfifo_out_peek"
    } else {
        "__kfifo_out"
    };
    let Some(mut f) = Kfifo::read(fifo) else {
        bad(out, func, fifo, false);
        return 0;
    };
    let len = len.min(f.r#in.wrapping_sub(f.out));
    let (off, size, bytes) = f.span(f.out, len);
    let first = bytes.min(size - off) as usize;
    let mut data = vec![0u8; bytes as usize];
    if !mem::read(f.data + off, &mut data[..first]) {
        bad(out, func, f.data + off, false);
        return 0;
    }
    if !mem::read(f.data, &mut data[first..]) {
        bad(out, func, f.data, false);
        return 0;
    }
    if !mem::write(buf, &data) {
        bad(out, func, buf, true);
        return 0;
    }
    if peek == 0 {
        f.out = f.out.wrapping_add(len);
        if !mem::write(fifo + 4, &f.out.to_le_bytes()) {
            bad(out, func, fifo + 4, true);
        }
    }
    len
}

// ---------------------------------------------------------------------------------------------
// The export table.

/// Declares the C entry points of `csrc/lib.c` and lists them as exports.
macro_rules! c_exports {
    ($($name:ident),* $(,)?) => {{
        extern "C" {
            $(fn $name();)*
        }
        vec![$(func_export(stringify!($name), $name as *const () as usize)),*]
    }};
}

/// This area's exports.
pub fn exports() -> Vec<ExportEntry> {
    c_exports![
        sscanf,
        vsscanf,
        __kfifo_alloc,
        __kfifo_free,
        __kfifo_init,
        __kfifo_in,
        __kfifo_out,
        __kfifo_out_peek,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfifo_sizes_round_as_linux() {
        assert_eq!(roundup_pow_of_two(5), 8);
        assert_eq!(roundup_pow_of_two(8), 8);
        assert_eq!(roundup_pow_of_two(1), 1);
        assert_eq!(roundup_pow_of_two(0), 0);
        assert_eq!(rounddown_pow_of_two(100), 64);
        assert_eq!(rounddown_pow_of_two(1), 1);
        assert_eq!(rounddown_pow_of_two(0), 0);
    }

    #[test]
    fn kfifo_wraps_around_in_host_memory() {
        let mut ring = [0u32; 4];
        let mut fifo = [0u8; 24];
        let fa = fifo.as_mut_ptr() as u64;
        let mut b = BadAccess::default();
        assert_eq!(
            lkm_kfifo_init(fa, ring.as_mut_ptr() as u64, 16 + 3, 4, &mut b),
            0
        );
        let f = Kfifo::read(fa).unwrap();
        assert_eq!((f.mask, f.esize), (3, 4));
        let src = [1u32, 2, 3];
        assert_eq!(lkm_kfifo_in(fa, src.as_ptr() as u64, 3, &mut b), 3);
        let mut dst = [0u32; 4];
        assert_eq!(lkm_kfifo_out(fa, dst.as_mut_ptr() as u64, 2, 0, &mut b), 2);
        assert_eq!(&dst[..2], &[1, 2]);
        // 3 is left; 3 more fit, wrapping around the end of the ring.
        let more = [4u32, 5, 6, 7];
        assert_eq!(lkm_kfifo_in(fa, more.as_ptr() as u64, 4, &mut b), 3);
        assert_eq!(lkm_kfifo_out(fa, dst.as_mut_ptr() as u64, 4, 1, &mut b), 4);
        assert_eq!(dst, [3, 4, 5, 6]);
        assert_eq!(lkm_kfifo_out(fa, dst.as_mut_ptr() as u64, 9, 0, &mut b), 4);
        assert_eq!(lkm_kfifo_out(fa, dst.as_mut_ptr() as u64, 9, 0, &mut b), 0);
        assert_eq!(b.faulted, 0);
        // A bad buffer is reported, not dereferenced.
        assert_eq!(lkm_kfifo_in(fa, 8, 1, &mut b), 0);
        assert_eq!((b.faulted, b.addr, b.err), (1, 8, 0));
        let _ = &mut ring;
    }
}
