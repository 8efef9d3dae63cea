//! Kernel services: ID allocators (lib/idr.c): `struct idr` maps small integers to pointers,
//! `struct ida` hands out integers.
//!
//! The structs live in module memory, but what they hold is the kernel's: a host map keyed by the
//! struct's address (`idr_base` and `idr_next` stay in the struct, as Linux keeps them there).
//! Linux leaves locking to the caller; here every call is atomic anyway. The maps of structs in a
//! module's memory go with the module; `idr_init`/`ida_init` start a struct afresh.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use super::{func_export, ExportEntry};
use crate::kernel::{kernel, Module};
use crate::mem;

const EINVAL: i32 = libc::EINVAL;
const ENOSPC: i32 = libc::ENOSPC;
const ENOENT: i32 = libc::ENOENT;

/// `struct idr` (lkm's layout): a word for the kernel, then `idr_base` at 8, `idr_next` at 12.
const IDR_BASE: u64 = 8;
const IDR_NEXT: u64 = 12;

#[derive(Default)]
struct Maps {
    idrs: HashMap<u64, BTreeMap<u32, u64>>,
    idas: HashMap<u64, BTreeSet<u32>>,
}

static MAPS: Mutex<Option<Maps>> = Mutex::new(None);

fn with_maps<R>(f: impl FnOnce(&mut Maps) -> R) -> R {
    let mut g = MAPS.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(Maps::default))
}

fn read_u32(addr: u64) -> u32 {
    mem::read_u32(addr).unwrap_or(0)
}

fn err_ptr(e: i32) -> u64 {
    (-(e as i64)) as u64
}

/// The lowest free id in `[start, end]` of `used`.
fn lowest_free(used: impl Fn(u32) -> bool, start: u32, end: u32) -> Option<u32> {
    (start..=end).find(|&i| !used(i))
}

// ---------------------------------------------------------------------------------------------
// idr

/// `idr_init_base(idr, base)`: an empty map whose ids start at `base`.
pub extern "C" fn idr_init_base(idr: u64, base: i32) {
    mem::write(idr + IDR_BASE, &(base as u32).to_le_bytes());
    mem::write(idr + IDR_NEXT, &0u32.to_le_bytes());
    with_maps(|m| m.idrs.remove(&idr));
}

/// `idr_alloc_u32`'s core: the lowest free id in `[start, max]` (ids below `idr_base` never).
fn alloc_in(idr: u64, ptr: u64, start: u32, max: u32) -> Result<u32, i32> {
    let base = read_u32(idr + IDR_BASE);
    let start = start.max(base);
    if start > max {
        return Err(ENOSPC);
    }
    with_maps(|m| {
        let map = m.idrs.entry(idr).or_default();
        let id = lowest_free(|i| map.contains_key(&i), start, max).ok_or(ENOSPC)?;
        map.insert(id, ptr);
        Ok(id)
    })
}

/// `idr_alloc`'s `[start, end)` as `[start, max]` (`end` ≤ 0: up to `INT_MAX`); `-EINVAL` for a
/// negative `start`.
fn id_range(start: i32, end: i32) -> Result<(u32, u32), i32> {
    if start < 0 {
        return Err(-EINVAL);
    }
    let max = if end <= 0 {
        i32::MAX as u32
    } else {
        end as u32 - 1
    };
    Ok((start as u32, max))
}

/// `idr_alloc(idr, ptr, start, end, gfp)`: an id in `[start, end)`, or `-ENOSPC`.
pub extern "C" fn idr_alloc(idr: u64, ptr: u64, start: i32, end: i32, _gfp: u32) -> i32 {
    let (start, max) = match id_range(start, end) {
        Ok(r) => r,
        Err(e) => return e,
    };
    match alloc_in(idr, ptr, start, max) {
        Ok(id) => id as i32,
        Err(e) => -e,
    }
}

/// `idr_alloc_u32(idr, ptr, nextid, max, gfp)`: 0 with the id in `*nextid`, or `-ENOSPC`.
pub extern "C" fn idr_alloc_u32(idr: u64, ptr: u64, nextid: u64, max: u64, _gfp: u32) -> i32 {
    let start = read_u32(nextid);
    match alloc_in(idr, ptr, start, max.min(u32::MAX as u64) as u32) {
        Ok(id) => {
            mem::write(nextid, &id.to_le_bytes());
            0
        }
        Err(e) => -e,
    }
}

/// `idr_alloc_cyclic`: as `idr_alloc`, searching from after the last id handed out, then from
/// `start` again.
pub extern "C" fn idr_alloc_cyclic(idr: u64, ptr: u64, start: i32, end: i32, _gfp: u32) -> i32 {
    let (first, max) = match id_range(start, end) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let next = read_u32(idr + IDR_NEXT).max(first);
    let id = match alloc_in(idr, ptr, next, max).or_else(|_| alloc_in(idr, ptr, first, max)) {
        Ok(id) => id as i32,
        Err(e) => -e,
    };
    if id >= 0 {
        mem::write(idr + IDR_NEXT, &(id as u32).wrapping_add(1).to_le_bytes());
    }
    id
}

pub extern "C" fn idr_find(idr: u64, id: u64) -> u64 {
    with_maps(|m| {
        m.idrs
            .get(&idr)
            .and_then(|map| map.get(&(u32::try_from(id).ok()?)).copied())
            .unwrap_or(0)
    })
}

/// `idr_remove`: the pointer the id had (NULL if none).
pub extern "C" fn idr_remove(idr: u64, id: u64) -> u64 {
    let Ok(id) = u32::try_from(id) else { return 0 };
    with_maps(|m| {
        m.idrs
            .get_mut(&idr)
            .and_then(|map| map.remove(&id))
            .unwrap_or(0)
    })
}

/// `idr_replace`: the old pointer, or `ERR_PTR(-ENOENT)` for an id not allocated.
pub extern "C" fn idr_replace(idr: u64, ptr: u64, id: u64) -> u64 {
    let Ok(id) = u32::try_from(id) else {
        return err_ptr(ENOENT);
    };
    with_maps(
        |m| match m.idrs.get_mut(&idr).and_then(|map| map.get_mut(&id)) {
            Some(slot) => std::mem::replace(slot, ptr),
            None => err_ptr(ENOENT),
        },
    )
}

/// `idr_get_next_ul`: the first entry at or after `*nextid` with a pointer, its id stored back.
pub extern "C" fn idr_get_next_ul(idr: u64, nextid: u64) -> u64 {
    let from = mem::read_u64(nextid).unwrap_or(0);
    let Ok(from) = u32::try_from(from) else {
        return 0;
    };
    let found = with_maps(|m| {
        m.idrs.get(&idr).and_then(|map| {
            map.range(from..)
                .find(|(_, &p)| p != 0)
                .map(|(&i, &p)| (i, p))
        })
    });
    match found {
        Some((id, p)) => {
            mem::write(nextid, &u64::from(id).to_le_bytes());
            p
        }
        None => 0,
    }
}

/// `idr_get_next`: as `idr_get_next_ul` with an `int` id.
pub extern "C" fn idr_get_next(idr: u64, nextid: u64) -> u64 {
    let from = read_u32(nextid) as i32;
    if from < 0 {
        return 0;
    }
    let mut id = u64::from(from as u32);
    let p = idr_get_next_ul(idr, &mut id as *mut u64 as u64);
    if p != 0 {
        mem::write(nextid, &(id as u32).to_le_bytes());
    }
    p
}

/// `idr_for_each(idr, fn, data)`: `fn(id, ptr, data)` for each entry with a pointer, in id
/// order, until one returns non-zero (returned).
pub extern "C" fn idr_for_each(idr: u64, f: u64, data: u64) -> i32 {
    let entries: Vec<(u32, u64)> = with_maps(|m| {
        m.idrs
            .get(&idr)
            .map(|map| {
                map.iter()
                    .filter(|(_, &p)| p != 0)
                    .map(|(&i, &p)| (i, p))
                    .collect()
            })
            .unwrap_or_default()
    });
    for (id, p) in entries {
        match super::chardev::call(f, &[u64::from(id), p, data], "idr_for_each") {
            Ok(r) if r as i32 != 0 => return r as i32,
            Ok(_) => {}
            Err(e) => return -e,
        }
    }
    0
}

pub extern "C" fn idr_is_empty(idr: u64) -> bool {
    with_maps(|m| m.idrs.get(&idr).is_none_or(|map| map.is_empty()))
}

/// `idr_destroy`: every id freed (the pointers are the caller's).
pub extern "C" fn idr_destroy(idr: u64) {
    with_maps(|m| m.idrs.remove(&idr));
}

// ---------------------------------------------------------------------------------------------
// ida

pub extern "C" fn ida_init(ida: u64) {
    with_maps(|m| m.idas.remove(&ida));
}

/// `ida_alloc_range(ida, min, max, gfp)`: the lowest free id in `[min, max]`, or `-ENOSPC`
/// (`-EINVAL` when `min` > `max` or either does not fit an `int`).
pub extern "C" fn ida_alloc_range(ida: u64, min: u32, max: u32, _gfp: u32) -> i32 {
    let max = max.min(i32::MAX as u32);
    if min > max || min > i32::MAX as u32 {
        return -EINVAL;
    }
    with_maps(|m| {
        let set = m.idas.entry(ida).or_default();
        match lowest_free(|i| set.contains(&i), min, max) {
            Some(id) => {
                set.insert(id);
                id as i32
            }
            None => -ENOSPC,
        }
    })
}

/// `ida_free`: an id not allocated is Linux's WARN "ida_free called for id=N which is not
/// allocated.".
pub extern "C" fn ida_free(ida: u64, id: u32) {
    let freed = with_maps(|m| m.idas.get_mut(&ida).is_some_and(|s| s.remove(&id)));
    if !freed {
        let msg = format!(
            "ida_free called for id={} which is not allocated.\n",
            id as i32
        );
        crate::oops::warn_report(
            "lib/idr.c",
            0,
            Some(msg.as_bytes()),
            crate::oops::module_caller(),
            None,
        );
        kernel().add_taint(crate::kernel::taint::WARN);
    }
}

pub extern "C" fn ida_destroy(ida: u64) {
    with_maps(|m| m.idas.remove(&ida));
}

pub extern "C" fn ida_is_empty(ida: u64) -> bool {
    with_maps(|m| m.idas.get(&ida).is_none_or(|s| s.is_empty()))
}

/// Called by the loader when a module goes: the maps of structs in its memory go too.
pub fn module_unloading(m: &Module) {
    let k = kernel();
    let mine = |addr: &u64| k.module_at(*addr).is_some_and(|x| x.name == m.name);
    with_maps(|maps| {
        maps.idrs.retain(|a, _| !mine(a));
        maps.idas.retain(|a, _| !mine(a));
    });
}

pub fn exports() -> Vec<ExportEntry> {
    let f = |name, addr: usize| func_export(name, addr);
    let gpl = |name, addr: usize| func_export(name, addr).gpl();
    vec![
        f("idr_init_base", idr_init_base as *const () as usize),
        gpl("idr_alloc", idr_alloc as *const () as usize),
        gpl("idr_alloc_u32", idr_alloc_u32 as *const () as usize),
        f("idr_alloc_cyclic", idr_alloc_cyclic as *const () as usize),
        gpl("idr_find", idr_find as *const () as usize),
        gpl("idr_remove", idr_remove as *const () as usize),
        f("idr_replace", idr_replace as *const () as usize),
        f("idr_get_next", idr_get_next as *const () as usize),
        f("idr_get_next_ul", idr_get_next_ul as *const () as usize),
        f("idr_for_each", idr_for_each as *const () as usize),
        f("idr_is_empty", idr_is_empty as *const () as usize),
        f("idr_destroy", idr_destroy as *const () as usize),
        f("ida_init", ida_init as *const () as usize),
        f("ida_alloc_range", ida_alloc_range as *const () as usize),
        f("ida_free", ida_free as *const () as usize),
        f("ida_destroy", ida_destroy as *const () as usize),
        f("ida_is_empty", ida_is_empty as *const () as usize),
    ]
}
