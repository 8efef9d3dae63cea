//! Kernel services: static keys (kernel/jump_label.c).
//!
//! On Linux a static key's branches are patched in the text when the key changes. Here
//! `static_branch_likely`/`_unlikely` read the key's `enabled` count (an inline in
//! `<linux/jump_label.h>`), and these functions change it under one lock, as Linux's
//! `jump_label_mutex` orders changes: the branches see the same values in the same order, without
//! the patching.

use std::sync::Mutex;

use super::{func_export, ExportEntry};
use crate::kernel::kernel;
use crate::mem;

/// `jump_label_mutex`.
static KEYS: Mutex<()> = Mutex::new(());

/// `struct static_key`: `atomic_t enabled` at 0.
fn count(key: u64) -> Option<i32> {
    mem::read_u32(key).map(|v| v as i32)
}

fn set(key: u64, v: i32) {
    mem::write(key, &v.to_le_bytes());
}

/// Linux's `WARN` for a misused key: a report naming the module's call site, taint W.
fn warn(msg: &str) {
    let k = kernel();
    // No line of Linux's source to name: the report gives the module's call site alone.
    crate::oops::warn_report(
        "",
        0,
        Some(format!("{msg}\n").as_bytes()),
        crate::oops::module_caller(),
        None,
    );
    k.add_taint(crate::kernel::taint::WARN);
}

/// Changes the key's count with `f` (old count → new count, or `None` to leave it) under the
/// lock; a key module code cannot read is ignored.
fn update(key: u64, f: impl FnOnce(i32) -> Option<i32>) {
    let _g = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(new) = count(key).and_then(f) {
        set(key, new);
    }
}

/// `static_key_slow_inc`: one more user; the branches take the enabled path.
pub extern "C" fn static_key_slow_inc(key: u64) {
    update(key, |c| {
        if c < 0 || c == i32::MAX {
            warn("static_key_slow_inc: bad count");
            return None;
        }
        Some(c + 1)
    });
}

/// `static_key_slow_dec`: one user less; at 0 the branches take the disabled path.
pub extern "C" fn static_key_slow_dec(key: u64) {
    let mut negative = false;
    update(key, |c| {
        if c <= 0 {
            negative = true;
            return None;
        }
        Some(c - 1)
    });
    if negative {
        warn("jump label: negative count!");
    }
}

/// `static_key_enable` (`on`) and `static_key_disable`: count 1 or 0. A key already there stays;
/// a count other than 0 or 1 (enable mixed with inc) is a misuse, warned about and left.
fn switch(key: u64, on: bool) {
    let (from, to) = if on { (0, 1) } else { (1, 0) };
    let mut bad = false;
    update(key, |c| {
        bad = c != from && c != to;
        (c == from).then_some(to)
    });
    if bad {
        let name = if on { "enable" } else { "disable" };
        warn(&format!("static_key_{name}: count is not 0 or 1"));
    }
}

pub extern "C" fn static_key_enable(key: u64) {
    switch(key, true);
}

pub extern "C" fn static_key_disable(key: u64) {
    switch(key, false);
}

pub fn exports() -> Vec<ExportEntry> {
    let f = |name, addr: usize| func_export(name, addr).gpl();
    vec![
        f(
            "static_key_slow_inc",
            static_key_slow_inc as *const () as usize,
        ),
        f(
            "static_key_slow_dec",
            static_key_slow_dec as *const () as usize,
        ),
        f("static_key_enable", static_key_enable as *const () as usize),
        f(
            "static_key_disable",
            static_key_disable as *const () as usize,
        ),
        // The sandbox has no CPU hotplug lock: the *_cpuslocked forms are the same functions.
        f(
            "static_key_slow_inc_cpuslocked",
            static_key_slow_inc as *const () as usize,
        ),
        f(
            "static_key_slow_dec_cpuslocked",
            static_key_slow_dec as *const () as usize,
        ),
        f(
            "static_key_enable_cpuslocked",
            static_key_enable as *const () as usize,
        ),
        f(
            "static_key_disable_cpuslocked",
            static_key_disable as *const () as usize,
        ),
    ]
}
