//! The `/proc` and `/sys` files of the module subsystem and printk, as text the kernel would show:
//! `/proc/modules`, `/proc/kallsyms`, `/proc/sys/kernel/{printk,tainted}`, `/proc/version`,
//! `/sys/module/<m>/…`, and `/dev/kmsg` (all records, in its format).

use std::sync::atomic::Ordering;

use crate::kernel::{kernel, ModuleState, UTS_RELEASE};
use crate::loader::module_size;
use crate::params;

const ENOENT: i32 = libc::ENOENT;
const EISDIR: i32 = libc::EISDIR;
const ENOTDIR: i32 = libc::ENOTDIR;
const EACCES: i32 = libc::EACCES;
const EINVAL: i32 = libc::EINVAL;

fn state_word(s: ModuleState) -> &'static str {
    match s {
        ModuleState::Live => "Live",
        ModuleState::Coming => "Loading",
        ModuleState::Going => "Unloading",
        ModuleState::Unformed => "Unformed",
    }
}

/// `/proc/modules`, one line per module, newest first.
pub fn proc_modules() -> String {
    let k = kernel();
    let mut out = String::new();
    for m in k.modules() {
        if m.state() == ModuleState::Unformed {
            continue;
        }
        out.push_str(&format!("{} {}", m.name, module_size(&m)));
        out.push_str(&format!(" {} ", m.refcnt.load(Ordering::Acquire)));
        let mut printed = false;
        for h in k.holders(&m) {
            out.push_str(&format!("{h},"));
            printed = true;
        }
        if m.init_fn.is_some() && m.exit_fn.is_none() {
            out.push_str("[permanent],");
            printed = true;
        }
        if !printed {
            out.push('-');
        }
        out.push_str(&format!(" {} 0x{:016x}", state_word(m.state()), m.core.0));
        let flags = m.flags();
        if !flags.is_empty() {
            out.push(' ');
            out.push_str(&flags);
        }
        out.push('\n');
    }
    out
}

/// `/proc/kallsyms`: the kernel's exports, then every module's symbols tagged `[module]`.
pub fn proc_kallsyms() -> String {
    let k = kernel();
    let mut out = String::new();
    for s in &k.ksyms_by_addr {
        out.push_str(&format!(
            "{:016x} {} {}\n",
            s.addr,
            if s.is_function { 'T' } else { 'D' },
            s.name
        ));
    }
    for m in k.modules() {
        for s in m.symbols.read().unwrap_or_else(|e| e.into_inner()).iter() {
            out.push_str(&format!(
                "{:016x} {} {}\t[{}]\n",
                s.addr, s.kind, s.name, m.name
            ));
        }
    }
    out
}

/// Reads a file of the sandbox's `/proc`, `/sys` or `/dev/kmsg`.
pub fn read_file(path: &str) -> Result<Vec<u8>, i32> {
    let k = kernel();
    let text = match path {
        "/proc/modules" => proc_modules(),
        "/proc/kallsyms" => proc_kallsyms(),
        "/proc/version" => format!(
            "Linux version {UTS_RELEASE} (lkm sandbox kernel {}) #1 SMP PREEMPT\n",
            env!("CARGO_PKG_VERSION")
        ),
        "/proc/sys/kernel/printk" => k.log.printk_sysctl(),
        "/proc/sys/kernel/tainted" => format!("{}\n", k.tainted.load(Ordering::Acquire)),
        "/proc/sys/kernel/osrelease" => format!("{UTS_RELEASE}\n"),
        "/proc/sys/kernel/modprobe" => crate::services::kmod::sysctl_read(),
        "/dev/kmsg" => k
            .log
            .read_all()
            .iter()
            .map(lkm_printk::log::format_kmsg)
            .collect(),
        _ => {
            // /proc/devices, /proc/misc, /dev nodes and /sys/class (services/chardev.rs).
            if let Some(r) = crate::services::chardev::read_path(path)
                .or_else(|| crate::services::chardev::sys_class_read(path))
            {
                return r;
            }
            // Module-made /proc entries, debugfs files and kobjects (services/procfs.rs,
            // services/debugfs.rs, services/sysfs.rs).
            if let Some(r) = crate::services::debugfs::read_file(path)
                .or_else(|| crate::services::platform::read_file(path))
                .or_else(|| crate::services::procfs::read_file(path))
                .or_else(|| crate::services::sysfs::read_file(path))
            {
                return r;
            }
            if let Some(rest) = path.strip_prefix("/sys/module/") {
                return sys_module_read(rest);
            }
            if let Some(v) = path
                .strip_prefix("/proc/sys/kernel/")
                .and_then(crate::services::watchdog::sysctl_read)
            {
                return Ok(v.into_bytes());
            }
            return Err(if is_dir(path) { EISDIR } else { ENOENT });
        }
    };
    Ok(text.into_bytes())
}

fn is_dir(path: &str) -> bool {
    read_dir(path).is_ok()
}

fn sys_module_read(rest: &str) -> Result<Vec<u8>, i32> {
    let k = kernel();
    let mut parts = rest.splitn(3, '/');
    let name = parts.next().unwrap_or("");
    let file = parts.next();
    let sub = parts.next();
    let m = k
        .find_module(name)
        .filter(|m| m.state() != ModuleState::Unformed)
        .ok_or(ENOENT)?;
    let text = match (file, sub) {
        (None, _) | (Some(""), None) => return Err(EISDIR),
        (Some("initstate"), None) => match m.state() {
            ModuleState::Live => "live\n".to_string(),
            ModuleState::Coming => "coming\n".to_string(),
            ModuleState::Going => "going\n".to_string(),
            ModuleState::Unformed => return Err(ENOENT),
        },
        (Some("refcnt"), None) => format!("{}\n", m.refcnt.load(Ordering::Acquire)),
        (Some("taint"), None) => format!("{}\n", m.taint_letters()),
        (Some("coresize"), None) => format!("{}\n", m.core_size),
        (Some("initsize"), None) => format!("{}\n", m.init_size.load(Ordering::Acquire)),
        (Some("version"), None) => match &m.version {
            Some(v) => format!("{v}\n"),
            None => return Err(ENOENT),
        },
        (Some("srcversion"), None) => match &m.srcversion {
            Some(v) => format!("{v}\n"),
            None => return Err(ENOENT),
        },
        (Some("holders" | "parameters" | "sections"), None) => return Err(EISDIR),
        (Some("holders"), Some(h)) => {
            // Holders are symlinks to /sys/module/<holder>; reading one reads a directory.
            return if k.holders(&m).iter().any(|x| x == h) {
                Err(EISDIR)
            } else {
                Err(ENOENT)
            };
        }
        (Some("sections"), Some(s)) => {
            let (_, addr) = m.sections.iter().find(|(n, _)| n == s).ok_or(ENOENT)?;
            format!("0x{addr:016x}\n")
        }
        (Some("parameters"), Some(p)) => {
            let param = m
                .params
                .iter()
                .find(|x| x.name == p && x.perm != 0)
                .ok_or(ENOENT)?;
            if param.perm & 0o444 == 0 {
                return Err(EACCES);
            }
            params::get(param)?
        }
        _ => return Err(ENOENT),
    };
    Ok(text.into_bytes())
}

/// Writes a file: a module parameter, `/proc/sys/kernel/printk`, or `/dev/kmsg` (a log message).
pub fn write_file(path: &str, data: &[u8]) -> Result<(), i32> {
    let k = kernel();
    match path {
        "/proc/sys/kernel/printk" => {
            let text = String::from_utf8_lossy(data);
            return k.log.write_printk_sysctl(&text).map_err(|_| EINVAL);
        }
        "/proc/sys/kernel/modprobe" => return crate::services::kmod::sysctl_write(data),
        _ if path.starts_with("/proc/sys/kernel/") => {
            let name = &path["/proc/sys/kernel/".len()..];
            if let Some(r) = crate::services::watchdog::sysctl_write(name, data) {
                return r;
            }
        }
        "/dev/kmsg" => {
            // SAFETY: gettid has no preconditions.
            let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u64;
            crate::printk::emit_kmsg(data, tid);
            return Ok(());
        }
        _ => {
            if let Some(r) = crate::services::chardev::write_path(path, data) {
                return r;
            }
            if let Some(r) = crate::services::debugfs::write_file(path, data)
                .or_else(|| crate::services::procfs::write_file(path, data))
                .or_else(|| crate::services::sysfs::write_file(path, data))
            {
                return r;
            }
        }
    }
    let Some(rest) = path.strip_prefix("/sys/module/") else {
        return Err(if read_file(path).is_ok() {
            EACCES
        } else {
            ENOENT
        });
    };
    let mut parts = rest.splitn(3, '/');
    let (Some(name), Some("parameters"), Some(p)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(if sys_module_read(rest).is_ok() {
            EACCES
        } else {
            ENOENT
        });
    };
    let m = k
        .find_module(name)
        .filter(|m| m.state() != ModuleState::Unformed)
        .ok_or(ENOENT)?;
    let param = m
        .params
        .iter()
        .find(|x| x.name == p && x.perm != 0)
        .ok_or(ENOENT)?;
    if param.perm & 0o222 == 0 {
        return Err(EACCES);
    }
    // A sysfs store gets the text as written; a trailing newline is left to the parser, which
    // accepts one (as kstrto* do).
    let text = String::from_utf8_lossy(data);
    let text = match param.kind {
        params::ParamKind::Scalar(params::Scalar::Charp) | params::ParamKind::String { .. } => {
            text.strip_suffix('\n').unwrap_or(&text).to_string()
        }
        _ => text.to_string(),
    };
    let mut owned = m.owned_strings.lock().unwrap_or_else(|e| e.into_inner());
    params::set(param, Some(&text), &mut owned)
}

/// Lists a directory.
pub fn read_dir(path: &str) -> Result<Vec<String>, i32> {
    let k = kernel();
    let path = path.trim_end_matches('/');
    if let Some(r) = crate::services::debugfs::read_dir(path)
        .or_else(|| crate::services::platform::read_dir(path))
        .or_else(|| crate::services::procfs::read_dir(path))
        .or_else(|| crate::services::sysfs::read_dir(path))
        .or_else(|| crate::services::chardev::sys_class_read_dir(path))
    {
        return r;
    }
    let mut names: Vec<String> = match path {
        "" => vec!["dev".into(), "proc".into(), "sys".into()],
        "/proc" => vec![
            "devices".into(),
            "kallsyms".into(),
            "misc".into(),
            "modules".into(),
            "sys".into(),
            "version".into(),
        ],
        "/proc/sys" => vec!["kernel".into()],
        "/proc/sys/kernel" => ["modprobe", "osrelease", "printk", "tainted"]
            .into_iter()
            .chain(crate::services::watchdog::sysctl_names())
            .map(String::from)
            .collect(),
        "/sys" => vec!["bus".into(), "class".into(), "module".into()],
        "/dev" => std::iter::once("kmsg".to_string())
            .chain(crate::services::chardev::dev_names())
            .collect(),
        "/sys/module" => k
            .modules()
            .iter()
            .filter(|m| m.state() != ModuleState::Unformed)
            .map(|m| m.name.clone())
            .collect(),
        _ => {
            let rest = path.strip_prefix("/sys/module/").ok_or(ENOENT)?;
            let mut parts = rest.splitn(2, '/');
            let name = parts.next().unwrap_or("");
            let m = k
                .find_module(name)
                .filter(|m| m.state() != ModuleState::Unformed)
                .ok_or(ENOENT)?;
            match parts.next() {
                None => {
                    let mut v: Vec<String> = [
                        "coresize",
                        "holders",
                        "initsize",
                        "initstate",
                        "refcnt",
                        "sections",
                        "taint",
                    ]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                    if m.params.iter().any(|p| p.perm != 0) {
                        v.push("parameters".into());
                    }
                    if m.version.is_some() {
                        v.push("version".into());
                    }
                    if m.srcversion.is_some() {
                        v.push("srcversion".into());
                    }
                    v
                }
                Some("holders") => k.holders(&m),
                Some("parameters") => m
                    .params
                    .iter()
                    .filter(|p| p.perm != 0)
                    .map(|p| p.name.clone())
                    .collect(),
                Some("sections") => m.sections.iter().map(|(n, _)| n.clone()).collect(),
                Some(_) => {
                    return Err(if sys_module_read(rest).is_ok() {
                        ENOTDIR
                    } else {
                        ENOENT
                    })
                }
            }
        }
    };
    names.extend(crate::services::procfs::root_names(path));
    names.extend(crate::services::sysfs::root_names(path));
    names.sort();
    Ok(names)
}
