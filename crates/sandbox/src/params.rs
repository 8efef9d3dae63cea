//! Module parameters: the `__param` table, the kernel's argument parsing (`parse_args`, `next_arg`,
//! `parameq`), the standard parameter types (`param_ops_*`, exported for modules), and the values
//! `/sys/module/<m>/parameters/<p>` reads and writes.
//!
//! The host recognises its own `param_ops_*` objects by address and sets or gets those parameters in
//! Rust; a module's own `kernel_param_ops` are called through the guard.

use std::collections::HashMap;
use std::ffi::{c_char, CString};

use crate::kernel::kernel;
use crate::mem;
use crate::services::{data_export, func_export, ExportEntry, KernelSymbol};
use crate::services_impl::{kstrtobool_bytes, kstrtoll_bytes, kstrtoull_bytes};

const EINVAL: i32 = libc::EINVAL;
const ENOSPC: i32 = libc::ENOSPC;
const EFAULT: i32 = libc::EFAULT;
const ERANGE: i32 = libc::ERANGE;

/// `struct kernel_param` is 40 bytes; field offsets (docs/SDK-ABI.md).
pub const KERNEL_PARAM_SIZE: usize = 40;
const KP_NAME: u64 = 0;
const KP_OPS: u64 = 16;
const KP_PERM: u64 = 24;
const KP_ARG: u64 = 32;
/// `KERNEL_PARAM_OPS_FL_NOARG`: the parameter may be given without `=value`.
const OPS_FL_NOARG: u32 = 1;

/// A standard parameter type, known by its `param_ops_*` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Byte,
    Short,
    Ushort,
    Int,
    Uint,
    Long,
    Ulong,
    Ullong,
    Hexint,
    Charp,
    Bool,
    BoolEnableOnly,
    Invbool,
    Bint,
}

const SCALARS: [(Scalar, &str); 14] = [
    (Scalar::Byte, "byte"),
    (Scalar::Short, "short"),
    (Scalar::Ushort, "ushort"),
    (Scalar::Int, "int"),
    (Scalar::Uint, "uint"),
    (Scalar::Long, "long"),
    (Scalar::Ulong, "ulong"),
    (Scalar::Ullong, "ullong"),
    (Scalar::Hexint, "hexint"),
    (Scalar::Charp, "charp"),
    (Scalar::Bool, "bool"),
    (Scalar::BoolEnableOnly, "bool_enable_only"),
    (Scalar::Invbool, "invbool"),
    (Scalar::Bint, "bint"),
];

/// How a parameter's value is stored.
#[derive(Debug, Clone)]
pub enum ParamKind {
    Scalar(Scalar),
    /// `module_param_array`: `struct kparam_array`.
    Array {
        max: u32,
        elemsize: u32,
        num: u64,
        elem: u64,
        scalar: Scalar,
    },
    /// `module_param_string`: `struct kparam_string`.
    String {
        maxlen: u32,
        buf: u64,
    },
    /// A module's own `kernel_param_ops`.
    Custom {
        ops: u64,
    },
}

/// One entry of a module's `__param` table.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub perm: u16,
    /// Address of the `struct kernel_param`.
    pub kp: u64,
    pub arg: u64,
    pub kind: ParamKind,
}

fn scalar_of_ops(ops: u64) -> Option<Scalar> {
    let k = kernel();
    SCALARS.iter().find_map(|&(s, n)| {
        k.ksyms
            .get(&format!("param_ops_{n}"))
            .filter(|sym| sym.addr == ops)
            .map(|_| s)
    })
}

/// Reads a module's `__param` table (relocated, at `base`, `size` bytes).
pub fn read_table(base: u64, size: u64) -> Result<Vec<Param>, String> {
    let k = kernel();
    let array_ops = k.ksyms.get("param_array_ops").map(|s| s.addr);
    let string_ops = k.ksyms.get("param_ops_string").map(|s| s.addr);
    let mut out = Vec::new();
    for i in 0..size / KERNEL_PARAM_SIZE as u64 {
        let kp = base + i * KERNEL_PARAM_SIZE as u64;
        let bad = || format!("bad __param entry {i}");
        let name_ptr = mem::read_u64(kp + KP_NAME).ok_or_else(bad)?;
        let name = String::from_utf8_lossy(&mem::read_cstr(name_ptr, 1024).map_err(|_| bad())?)
            .into_owned();
        let ops = mem::read_u64(kp + KP_OPS).ok_or_else(bad)?;
        let mut perm = [0u8; 2];
        if !mem::read(kp + KP_PERM, &mut perm) {
            return Err(bad());
        }
        let arg = mem::read_u64(kp + KP_ARG).ok_or_else(bad)?;
        let kind = if Some(ops) == array_ops {
            // struct kparam_array { unsigned int max, elemsize; unsigned int *num; ops; void *elem; }
            let max = mem::read_u32(arg).ok_or_else(bad)?;
            let elemsize = mem::read_u32(arg + 4).ok_or_else(bad)?;
            let num = mem::read_u64(arg + 8).ok_or_else(bad)?;
            let elem_ops = mem::read_u64(arg + 16).ok_or_else(bad)?;
            let elem = mem::read_u64(arg + 24).ok_or_else(bad)?;
            match scalar_of_ops(elem_ops) {
                Some(scalar) => ParamKind::Array {
                    max,
                    elemsize,
                    num,
                    elem,
                    scalar,
                },
                None => ParamKind::Custom { ops },
            }
        } else if Some(ops) == string_ops {
            let maxlen = mem::read_u32(arg).ok_or_else(bad)?;
            let buf = mem::read_u64(arg + 8).ok_or_else(bad)?;
            ParamKind::String { maxlen, buf }
        } else if let Some(s) = scalar_of_ops(ops) {
            ParamKind::Scalar(s)
        } else {
            ParamKind::Custom { ops }
        };
        out.push(Param {
            name,
            perm: u16::from_le_bytes(perm),
            kp,
            arg,
            kind,
        });
    }
    Ok(out)
}

/// `parameq`: names match with `-` and `_` taken as equal.
pub fn parameq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .all(|(x, y)| x == y || (matches!(x, b'-' | b'_') && matches!(y, b'-' | b'_')))
}

/// Splits a parameter string as the kernel's `next_arg` does: whitespace-separated `name[=value]`,
/// double quotes protecting spaces and removed around a value or a whole argument.
pub fn split_args(args: &str) -> Vec<(String, Option<String>)> {
    let b = args.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    let skip = |mut p: usize| {
        while p < b.len() && b[p].is_ascii_whitespace() {
            p += 1;
        }
        p
    };
    pos = skip(pos);
    while pos < b.len() {
        let mut start = pos;
        let mut in_quote = false;
        let mut quoted = false;
        if b[start] == b'"' {
            start += 1;
            in_quote = true;
            quoted = true;
        }
        let mut i = start;
        let mut equals = None;
        while i < b.len() {
            if b[i].is_ascii_whitespace() && !in_quote {
                break;
            }
            if equals.is_none() && b[i] == b'=' && i > start {
                equals = Some(i);
            }
            if b[i] == b'"' {
                in_quote = !in_quote;
            }
            i += 1;
        }
        let mut end = i;
        let (param, val) = match equals {
            None => {
                if quoted && end > start && b[end - 1] == b'"' {
                    end -= 1;
                }
                (&b[start..end], None)
            }
            Some(eq) => {
                let mut vstart = eq + 1;
                let mut vend = end;
                if b.get(vstart) == Some(&b'"') {
                    vstart += 1;
                    if vend > vstart && b[vend - 1] == b'"' {
                        vend -= 1;
                    }
                } else if quoted && vend > vstart && b[vend - 1] == b'"' {
                    vend -= 1;
                }
                (&b[start..eq], Some(&b[vstart..vend.max(vstart)]))
            }
        };
        out.push((
            String::from_utf8_lossy(param).into_owned(),
            val.map(|v| String::from_utf8_lossy(v).into_owned()),
        ));
        pos = skip(if i < b.len() { i + 1 } else { i });
    }
    out
}

/// `parse_args(mod->name, args, ...)` for a module: sets each named parameter, warns about unknown
/// ones, and returns the last error (the load then fails with it).
pub fn parse_module_args(
    modname: &str,
    args: &str,
    params: &[Param],
    owned: &mut Vec<CString>,
) -> Result<(), i32> {
    let k = kernel();
    let mut result = Ok(());
    for (param, val) in split_args(args) {
        if val.is_none() && param == "--" {
            break;
        }
        let Some(p) = params.iter().find(|p| parameq(&p.name, &param)) else {
            k.printk(
                4,
                &format!("{modname}: unknown parameter '{param}' ignored"),
            );
            continue;
        };
        let r = set(p, val.as_deref(), owned);
        let shown = val.clone().unwrap_or_default();
        match r {
            Ok(()) => continue,
            Err(e) if e == ENOSPC => k.printk(
                3,
                &format!("{modname}: `{shown}' too large for parameter `{param}'"),
            ),
            Err(e) => {
                let _ = e;
                k.printk(
                    3,
                    &format!("{modname}: `{shown}' invalid for parameter `{param}'"),
                )
            }
        }
        result = r;
    }
    result
}

fn noarg(scalar: Scalar) -> bool {
    matches!(
        scalar,
        Scalar::Bool | Scalar::BoolEnableOnly | Scalar::Invbool | Scalar::Bint
    )
}

/// Sets a parameter from its text (`None`: given without `=value`).
pub fn set(p: &Param, val: Option<&str>, owned: &mut Vec<CString>) -> Result<(), i32> {
    match &p.kind {
        ParamKind::Scalar(s) => {
            if val.is_none() && !noarg(*s) {
                return Err(EINVAL);
            }
            set_scalar(*s, &p.name, p.arg, val, owned)
        }
        ParamKind::Array {
            max,
            elemsize,
            num,
            elem,
            scalar,
        } => {
            let Some(val) = val else {
                return Err(EINVAL);
            };
            let items: Vec<&str> = val.split(',').collect();
            if items.len() > *max as usize {
                kernel().printk(3, &format!("{}: can only take {} arguments", p.name, max));
                return Err(EINVAL);
            }
            for (i, item) in items.iter().enumerate() {
                set_scalar(
                    *scalar,
                    &p.name,
                    elem + i as u64 * *elemsize as u64,
                    Some(item),
                    owned,
                )?;
            }
            if *num != 0 && !mem::write(*num, &(items.len() as u32).to_le_bytes()) {
                return Err(EFAULT);
            }
            Ok(())
        }
        ParamKind::String { maxlen, buf } => {
            let val = val.unwrap_or("");
            if val.len() + 1 > *maxlen as usize {
                kernel().printk(
                    3,
                    &format!(
                        "{}: string doesn't fit in {} chars.",
                        p.name,
                        maxlen.saturating_sub(1)
                    ),
                );
                return Err(ENOSPC);
            }
            let mut bytes = val.as_bytes().to_vec();
            bytes.push(0);
            if mem::write(*buf, &bytes) {
                Ok(())
            } else {
                Err(EFAULT)
            }
        }
        ParamKind::Custom { ops } => {
            let set_fn = mem::read_u64(ops + 8).ok_or(EFAULT)?;
            if set_fn == 0 {
                return Err(EINVAL);
            }
            let c = CString::new(val.unwrap_or("")).map_err(|_| EINVAL)?;
            let val_ptr = if val.is_some() { c.as_ptr() as u64 } else { 0 };
            // SAFETY: `set_fn` is the module's `kernel_param_ops.set`, called with the kernel's
            // signature (const char *val, const struct kernel_param *kp) under the guard.
            let r = unsafe { crate::guard::call(set_fn, &[val_ptr, p.kp]) };
            owned.push(c);
            match r {
                Ok(ret) if (ret as i32) < 0 => Err(-(ret as i32)),
                Ok(_) => Ok(()),
                Err(fault) => {
                    crate::oops::report(&fault, "param set");
                    Err(EFAULT)
                }
            }
        }
    }
}

fn write_int(addr: u64, bytes: &[u8]) -> Result<(), i32> {
    if mem::write(addr, bytes) {
        Ok(())
    } else {
        Err(EFAULT)
    }
}

fn set_scalar(
    s: Scalar,
    name: &str,
    addr: u64,
    val: Option<&str>,
    owned: &mut Vec<CString>,
) -> Result<(), i32> {
    let v = val.unwrap_or("").as_bytes();
    macro_rules! signed {
        ($t:ty) => {{
            let x = <$t>::try_from(kstrtoll_bytes(v, 0)?).map_err(|_| ERANGE)?;
            write_int(addr, &x.to_le_bytes())
        }};
    }
    macro_rules! unsigned {
        ($t:ty, $base:expr) => {{
            let x = <$t>::try_from(kstrtoull_bytes(v, $base)?).map_err(|_| ERANGE)?;
            write_int(addr, &x.to_le_bytes())
        }};
    }
    match s {
        Scalar::Byte => unsigned!(u8, 0),
        Scalar::Short => signed!(i16),
        Scalar::Ushort => unsigned!(u16, 0),
        Scalar::Int => signed!(i32),
        Scalar::Uint => unsigned!(u32, 0),
        Scalar::Long => signed!(i64),
        Scalar::Ulong | Scalar::Ullong => unsigned!(u64, 0),
        Scalar::Hexint => unsigned!(u32, 16),
        Scalar::Bool | Scalar::BoolEnableOnly | Scalar::Invbool | Scalar::Bint => {
            let b = if val.is_none() {
                true
            } else {
                kstrtobool_bytes(v)?
            };
            match s {
                Scalar::Bool => write_int(addr, &[b as u8]),
                Scalar::BoolEnableOnly => {
                    let mut cur = [0u8];
                    mem::read(addr, &mut cur);
                    if cur[0] != 0 && !b {
                        return Err(libc::EROFS);
                    }
                    write_int(addr, &[b as u8])
                }
                Scalar::Invbool => write_int(addr, &[(!b) as u8]),
                _ => write_int(addr, &(b as i32).to_le_bytes()),
            }
        }
        Scalar::Charp => {
            if v.len() > 1024 {
                kernel().printk(3, &format!("{name}: string parameter too long"));
                return Err(ENOSPC);
            }
            let c = CString::new(v).map_err(|_| EINVAL)?;
            let ptr = c.as_ptr() as u64;
            write_int(addr, &ptr.to_le_bytes())?;
            owned.push(c);
            Ok(())
        }
    }
}

/// The text `/sys/module/<m>/parameters/<p>` shows, newline included.
pub fn get(p: &Param) -> Result<String, i32> {
    match &p.kind {
        ParamKind::Scalar(s) => Ok(format!("{}\n", get_scalar(*s, p.arg)?)),
        ParamKind::Array {
            max,
            elemsize,
            num,
            elem,
            scalar,
        } => {
            let n = if *num != 0 {
                mem::read_u32(*num).ok_or(EFAULT)?
            } else {
                *max
            };
            let items: Result<Vec<String>, i32> = (0..n.min(*max))
                .map(|i| get_scalar(*scalar, elem + i as u64 * *elemsize as u64))
                .collect();
            Ok(format!("{}\n", items?.join(",")))
        }
        ParamKind::String { maxlen, buf } => {
            let s = mem::read_cstr(*buf, *maxlen as usize).map_err(|_| EFAULT)?;
            Ok(format!("{}\n", String::from_utf8_lossy(&s)))
        }
        ParamKind::Custom { ops } => {
            let get_fn = mem::read_u64(ops + 16).ok_or(EFAULT)?;
            if get_fn == 0 {
                return Err(libc::EPERM);
            }
            let mut page = vec![0u8; 4096];
            // SAFETY: `get_fn` is the module's `kernel_param_ops.get`, called with a PAGE_SIZE
            // buffer as the kernel does, under the guard.
            let r = unsafe { crate::guard::call(get_fn, &[page.as_mut_ptr() as u64, p.kp]) };
            match r {
                Ok(ret) if (ret as i32) < 0 => Err(-(ret as i32)),
                Ok(ret) => {
                    page.truncate((ret as usize).min(4096));
                    Ok(String::from_utf8_lossy(&page).into_owned())
                }
                Err(fault) => {
                    crate::oops::report(&fault, "param get");
                    Err(EFAULT)
                }
            }
        }
    }
}

fn get_scalar(s: Scalar, addr: u64) -> Result<String, i32> {
    let mut b = [0u8; 8];
    let size = match s {
        Scalar::Byte | Scalar::Bool | Scalar::BoolEnableOnly | Scalar::Invbool => 1,
        Scalar::Short | Scalar::Ushort => 2,
        Scalar::Int | Scalar::Uint | Scalar::Hexint | Scalar::Bint => 4,
        _ => 8,
    };
    if !mem::read(addr, &mut b[..size]) {
        return Err(EFAULT);
    }
    let u = u64::from_le_bytes(b);
    Ok(match s {
        Scalar::Byte => format!("{}", u as u8),
        Scalar::Short => format!("{}", u as u16 as i16),
        Scalar::Ushort => format!("{}", u as u16),
        Scalar::Int | Scalar::Bint => format!("{}", u as u32 as i32),
        Scalar::Uint => format!("{}", u as u32),
        Scalar::Long => format!("{}", u as i64),
        Scalar::Ulong | Scalar::Ullong => format!("{u}"),
        Scalar::Hexint => format!("{:#08x}", u as u32),
        Scalar::Bool | Scalar::BoolEnableOnly => (if u as u8 != 0 { "Y" } else { "N" }).to_string(),
        Scalar::Invbool => (if u as u8 != 0 { "N" } else { "Y" }).to_string(),
        Scalar::Charp => {
            if u == 0 {
                "(null)".to_string()
            } else {
                String::from_utf8_lossy(&mem::read_cstr(u, 4096).map_err(|_| EFAULT)?).into_owned()
            }
        }
    })
}

// ---- exported param_set_* / param_get_* and the param_ops_* objects ----

fn kp_param(kp: u64) -> Option<(u64, String)> {
    let arg = mem::read_u64(kp + KP_ARG)?;
    let name_ptr = mem::read_u64(kp + KP_NAME)?;
    let name = String::from_utf8_lossy(&mem::read_cstr(name_ptr, 1024).ok()?).into_owned();
    Some((arg, name))
}

fn exported_set(s: Scalar, val: *const c_char, kp: u64) -> i32 {
    let Some((arg, name)) = kp_param(kp) else {
        return -EFAULT;
    };
    let text = if val.is_null() {
        None
    } else {
        match mem::read_cstr(val as u64, 4096) {
            Ok(t) => Some(String::from_utf8_lossy(&t).into_owned()),
            Err(_) => return -EFAULT,
        }
    };
    // A charp set through the exported function keeps its copy for the kernel's lifetime (the
    // kernel would kmalloc it and free it on the next set; here it is small and rare).
    let mut owned = Vec::new();
    let r = set_scalar(s, &name, arg, text.as_deref(), &mut owned);
    std::mem::forget(owned);
    match r {
        Ok(()) => 0,
        Err(e) => -e,
    }
}

fn exported_get(s: Scalar, buffer: *mut c_char, kp: u64) -> i32 {
    let Some((arg, _)) = kp_param(kp) else {
        return -EFAULT;
    };
    match get_scalar(s, arg) {
        Ok(text) => {
            let mut bytes = text.into_bytes();
            bytes.push(b'\n');
            let n = bytes.len().min(4095);
            bytes.truncate(n);
            bytes.push(0);
            if mem::write(buffer as u64, &bytes) {
                n as i32
            } else {
                -EFAULT
            }
        }
        Err(e) => -e,
    }
}

macro_rules! param_fns {
    ($($scalar:ident => $set:ident, $get:ident;)*) => {
        $(
            pub extern "C" fn $set(val: *const c_char, kp: u64) -> i32 {
                exported_set(Scalar::$scalar, val, kp)
            }
            pub extern "C" fn $get(buffer: *mut c_char, kp: u64) -> i32 {
                exported_get(Scalar::$scalar, buffer, kp)
            }
        )*
        fn function_exports() -> Vec<ExportEntry> {
            vec![$(
                func_export(stringify!($set), $set as *const () as usize),
                func_export(stringify!($get), $get as *const () as usize),
            )*]
        }
    };
}

param_fns! {
    Byte => param_set_byte, param_get_byte;
    Short => param_set_short, param_get_short;
    Ushort => param_set_ushort, param_get_ushort;
    Int => param_set_int, param_get_int;
    Uint => param_set_uint, param_get_uint;
    Long => param_set_long, param_get_long;
    Ulong => param_set_ulong, param_get_ulong;
    Ullong => param_set_ullong, param_get_ullong;
    Hexint => param_set_hexint, param_get_hexint;
    Charp => param_set_charp, param_get_charp;
    Bool => param_set_bool, param_get_bool;
    BoolEnableOnly => param_set_bool_enable_only, param_get_bool_enable_only;
    Invbool => param_set_invbool, param_get_invbool;
    Bint => param_set_bint, param_get_bint;
}

/// The `struct kparam_string` parameter behind `kp`, for the exported string functions.
fn string_param(kp: u64) -> Result<Param, i32> {
    let (arg, name) = kp_param(kp).ok_or(EFAULT)?;
    let maxlen = mem::read_u32(arg).ok_or(EFAULT)?;
    let buf = mem::read_u64(arg + 8).ok_or(EFAULT)?;
    Ok(Param {
        name,
        perm: 0,
        kp,
        arg,
        kind: ParamKind::String { maxlen, buf },
    })
}

/// `param_set_copystring`: copies into a `struct kparam_string`.
pub extern "C" fn param_set_copystring(val: *const c_char, kp: u64) -> i32 {
    let r = string_param(kp).and_then(|p| {
        let t = mem::read_cstr(val as u64, 4096).map_err(|_| EFAULT)?;
        set(&p, Some(&String::from_utf8_lossy(&t)), &mut Vec::new())
    });
    match r {
        Ok(()) => 0,
        Err(e) => -e,
    }
}

/// `param_get_string`: the string and a newline into the PAGE_SIZE buffer.
pub extern "C" fn param_get_string(buffer: *mut c_char, kp: u64) -> i32 {
    let r = string_param(kp).and_then(|p| get(&p)).and_then(|text| {
        let mut bytes = text.into_bytes();
        bytes.truncate(4095);
        let n = bytes.len();
        bytes.push(0);
        if mem::write(buffer as u64, &bytes) {
            Ok(n as i32)
        } else {
            Err(EFAULT)
        }
    });
    r.unwrap_or_else(|e| -e)
}

/// Arrays and `charp` frees are done by the host (it recognises `param_array_ops`); these are for
/// modules that call them directly.
pub extern "C" fn param_array_set(_val: *const c_char, _kp: u64) -> i32 {
    -EINVAL
}

pub extern "C" fn param_array_get(_buffer: *mut c_char, _kp: u64) -> i32 {
    -EINVAL
}

pub extern "C" fn param_free_charp(_arg: u64) {}

/// Writes a `struct kernel_param_ops { flags; set; get; free; }`.
fn ops_object(
    table: &HashMap<String, KernelSymbol>,
    b: &mut [u8],
    flags: u32,
    set: &str,
    get: &str,
    free: Option<&str>,
) {
    let addr = |n: &str| table.get(n).map(|s| s.addr).unwrap_or(0);
    b[0..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&addr(set).to_le_bytes());
    b[16..24].copy_from_slice(&addr(get).to_le_bytes());
    b[24..32].copy_from_slice(&free.map(addr).unwrap_or(0).to_le_bytes());
}

macro_rules! ops_exports {
    ($($name:literal, $flags:expr, $set:literal, $get:literal, $free:expr;)*) => {
        vec![$(
            data_export($name, 32, |t, b| ops_object(t, b, $flags, $set, $get, $free)),
        )*]
    };
}

/// The parameter exports: functions and `param_ops_*` objects.
pub fn exports() -> Vec<ExportEntry> {
    let mut v = function_exports();
    v.push(func_export(
        "param_set_copystring",
        param_set_copystring as *const () as usize,
    ));
    v.push(func_export(
        "param_get_string",
        param_get_string as *const () as usize,
    ));
    v.push(func_export(
        "param_array_set",
        param_array_set as *const () as usize,
    ));
    v.push(func_export(
        "param_array_get",
        param_array_get as *const () as usize,
    ));
    v.push(func_export(
        "param_free_charp",
        param_free_charp as *const () as usize,
    ));
    v.extend(ops_exports![
        "param_ops_byte", 0, "param_set_byte", "param_get_byte", None;
        "param_ops_short", 0, "param_set_short", "param_get_short", None;
        "param_ops_ushort", 0, "param_set_ushort", "param_get_ushort", None;
        "param_ops_int", 0, "param_set_int", "param_get_int", None;
        "param_ops_uint", 0, "param_set_uint", "param_get_uint", None;
        "param_ops_long", 0, "param_set_long", "param_get_long", None;
        "param_ops_ulong", 0, "param_set_ulong", "param_get_ulong", None;
        "param_ops_ullong", 0, "param_set_ullong", "param_get_ullong", None;
        "param_ops_hexint", 0, "param_set_hexint", "param_get_hexint", None;
        "param_ops_charp", 0, "param_set_charp", "param_get_charp", Some("param_free_charp");
        "param_ops_bool", OPS_FL_NOARG, "param_set_bool", "param_get_bool", None;
        "param_ops_bool_enable_only", OPS_FL_NOARG, "param_set_bool_enable_only", "param_get_bool_enable_only", None;
        "param_ops_invbool", OPS_FL_NOARG, "param_set_invbool", "param_get_invbool", None;
        "param_ops_bint", OPS_FL_NOARG, "param_set_bint", "param_get_bint", None;
        "param_array_ops", 0, "param_array_set", "param_array_get", None;
        "param_ops_string", 0, "param_set_copystring", "param_get_string", None;
    ]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<(String, Option<String>)> {
        split_args(s)
    }

    #[test]
    fn next_arg_splits_like_the_kernel() {
        assert_eq!(
            args("  a=1 b  c=\"x y\" "),
            vec![
                ("a".into(), Some("1".into())),
                ("b".into(), None),
                ("c".into(), Some("x y".into()))
            ]
        );
        assert_eq!(
            args("\"s=hello world\""),
            vec![("s".into(), Some("hello world".into()))]
        );
        assert_eq!(args("x="), vec![("x".into(), Some("".into()))]);
        assert_eq!(args(""), vec![]);
    }

    #[test]
    fn dash_and_underscore_are_equal_in_names() {
        assert!(parameq("my_param", "my-param"));
        assert!(!parameq("my_param", "my_parax"));
        assert!(!parameq("a", "ab"));
    }
}
