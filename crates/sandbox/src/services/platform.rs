//! Kernel services: the platform bus (drivers/base/platform.c, drivers/base/dd.c), with the part of
//! the driver core it needs: devices and drivers registered by modules, matched by name, probed and
//! removed, shown in `/sys/bus/platform/{devices,drivers}`.
//!
//! A device is a `struct platform_device` in module memory (a static one given to
//! `platform_device_register`) or in kernel memory (`platform_device_alloc`, the
//! `platform_device_register_*` helpers). `platform_device_add` names it as Linux does (`name`,
//! `name.<id>`, `name.<n>.auto`) into the name storage of its `struct device`. A driver matches a
//! device by an entry of its `id_table` (which `pdev->id_entry` then points at), else by its name;
//! the match is probed at once on the registering thread (`really_probe`: `dev->driver` set, then
//! the driver's `probe`; an error unbinds, and all but `-ENODEV`/`-ENXIO` are logged as Linux logs
//! them). Unregistering either side calls the driver's `remove` for each bound device. Releasing a
//! device calls `dev.release`; a static device without one gets Linux's complaint.
//!
//! Calls into module code go through the guard: a faulting probe is an oops and fails the probe.
//! What a module leaves registered at unload is unregistered (without calling its code) and
//! reported.

use std::sync::Mutex;

use super::chardev::{call, HostObj};
use super::{func_export, ExportEntry};
use crate::kernel::{kernel, Module};
use crate::mem;

const EINVAL: i32 = libc::EINVAL;
const EEXIST: i32 = libc::EEXIST;
const EBUSY: i32 = libc::EBUSY;
const ENOMEM: i32 = libc::ENOMEM;
const ENODEV: i32 = libc::ENODEV;
const ENXIO: i32 = libc::ENXIO;

const PLATFORM_DEVID_NONE: i32 = -1;
const PLATFORM_DEVID_AUTO: i32 = -2;
const PLATFORM_NAME_SIZE: usize = 20;

/// `struct platform_device` (216 bytes) and its `struct device` at 16 (docs/SDK-ABI.md).
mod pd {
    pub const NAME: u64 = 0;
    pub const ID: u64 = 8;
    pub const ID_AUTO: u64 = 12;
    pub const DEV: u64 = 16;
    pub const ID_ENTRY: u64 = 168;
    pub const SIZE: usize = 216;
}
/// `struct device`.
mod dev {
    pub const INIT_NAME: u64 = 8;
    pub const DRIVER_DATA: u64 = 32;
    pub const RELEASE: u64 = 40;
    pub const PLATFORM_DATA: u64 = 48;
    pub const DRIVER: u64 = 56;
    pub const NAME_BUF: u64 = 64;
    pub const NAME_MAX: usize = 64;
}
/// `struct platform_driver` (its `struct device_driver` at 40) and `struct platform_device_id`.
mod pdrv {
    pub const PROBE: u64 = 0;
    pub const REMOVE: u64 = 8;
    /// The `struct device_driver`: `name` at its 0, `owner` at its 16.
    pub const DRIVER: u64 = 40;
    pub const DRIVER_NAME: u64 = DRIVER;
    pub const DRIVER_OWNER: u64 = DRIVER + 16;
    pub const ID_TABLE: u64 = 184;
    pub const ID_SIZE: u64 = 32;
}

struct Device {
    /// The `struct platform_device`.
    pdev: u64,
    /// `dev_name`.
    name: String,
    /// The module that registered it.
    owner: Option<String>,
    /// Kernel memory (`platform_device_alloc`): freed at release.
    alloc: Option<HostObj>,
    platform_data: Option<HostObj>,
    /// Added to the bus (not only allocated).
    added: bool,
    /// The driver bound to it (`struct platform_driver`).
    bound: Option<u64>,
}

struct Driver {
    pdrv: u64,
    name: String,
    owner: Option<String>,
}

#[derive(Default)]
struct Bus {
    devices: Vec<Device>,
    drivers: Vec<Driver>,
    /// `platform_devid_ida`: the numbers of `PLATFORM_DEVID_AUTO` devices.
    auto_ids: Vec<u32>,
}

static BUS: Mutex<Option<Bus>> = Mutex::new(None);

/// Runs `f` on the bus. Module code is never called with the lock held.
fn with_bus<R>(f: impl FnOnce(&mut Bus) -> R) -> R {
    let mut g = BUS.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(Bus::default))
}

fn r64(addr: u64) -> u64 {
    mem::read_u64(addr).unwrap_or(0)
}

fn w64(addr: u64, v: u64) {
    mem::write(addr, &v.to_le_bytes());
}

fn cstr(addr: u64, max: usize) -> Option<String> {
    if addr == 0 {
        return None;
    }
    let b = mem::read_cstr(addr, max).ok()?;
    Some(String::from_utf8_lossy(&b).into_owned())
}

fn errno_of(ret: u64) -> i32 {
    let r = ret as i32;
    if (-4095..0).contains(&r) {
        r
    } else {
        0
    }
}

// ---------------------------------------------------------------------------------------------
// Matching, probing, removing.

/// `platform_match`: the `id_table` entry naming the device (its address), or the driver's name.
fn matches(pdrv: u64, dev_name_base: &str) -> Option<u64> {
    let table = r64(pdrv + pdrv::ID_TABLE);
    if table != 0 {
        for i in 0..4096 {
            let entry = table + i * pdrv::ID_SIZE;
            let Some(name) = cstr(entry, PLATFORM_NAME_SIZE) else {
                break;
            };
            if name.is_empty() {
                break;
            }
            if name == dev_name_base {
                return Some(entry);
            }
        }
    }
    let name = cstr(r64(pdrv + pdrv::DRIVER_NAME), 256)?;
    (name == dev_name_base).then_some(0)
}

/// Binds `pdev` to `pdrv` (`dev->driver`, `id_entry`), or unbinds it (`None`: both cleared, and
/// the driver data, which the driver core clears after a remove or a failed probe).
fn set_binding(pdev: u64, binding: Option<(u64, u64)>) {
    let (driver, entry) = binding.map_or((0, 0), |(pdrv, entry)| (pdrv + pdrv::DRIVER, entry));
    w64(pdev + pd::ID_ENTRY, entry);
    w64(pdev + pd::DEV + dev::DRIVER, driver);
    if binding.is_none() {
        w64(pdev + pd::DEV + dev::DRIVER_DATA, 0);
    }
    with_bus(|b| {
        if let Some(d) = b.devices.iter_mut().find(|d| d.pdev == pdev) {
            d.bound = binding.map(|(pdrv, _)| pdrv);
        }
    });
}

/// `really_probe`: binds `pdev` to `pdrv` and calls its probe. `true` if bound.
fn probe(pdev: u64, pdrv: u64, id_entry: u64, driver_name: &str, dev_name: &str) -> bool {
    set_binding(pdev, Some((pdrv, id_entry)));
    let f = r64(pdrv + pdrv::PROBE);
    let ret = if f == 0 {
        0
    } else {
        match call(f, &[pdev], "platform_probe") {
            Ok(v) => errno_of(v),
            Err(_) => -libc::EFAULT,
        }
    };
    if ret == 0 {
        return true;
    }
    set_binding(pdev, None);
    if ret != -ENODEV && ret != -ENXIO {
        kernel().printk(
            4,
            &format!("{driver_name}: probe of {dev_name} failed with error {ret}"),
        );
    }
    false
}

/// `device_release_driver`: the driver's remove (if `call_remove`), then unbound.
fn unbind(pdev: u64, pdrv: u64, call_remove: bool) {
    let f = r64(pdrv + pdrv::REMOVE);
    if call_remove && f != 0 {
        let _ = call(f, &[pdev], "platform_remove");
    }
    set_binding(pdev, None);
}

/// The base of a device's name for matching: `pdev->name`.
fn base_name(pdev: u64) -> String {
    cstr(r64(pdev + pd::NAME), 256).unwrap_or_default()
}

/// Probes `pdev` with the first registered driver that matches it.
fn attach_device(pdev: u64, dev_name: &str) {
    let base = base_name(pdev);
    let drivers: Vec<(u64, String)> =
        with_bus(|b| b.drivers.iter().map(|d| (d.pdrv, d.name.clone())).collect());
    for (pdrv, dname) in drivers {
        if let Some(entry) = matches(pdrv, &base) {
            if probe(pdev, pdrv, entry, &dname, dev_name) {
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Devices.

/// `platform_device_add`: names the device and adds it to the bus; 0 or a negative errno.
pub extern "C" fn platform_device_add(pdev: u64) -> i32 {
    if pdev == 0 {
        return -EINVAL;
    }
    let Some(base) = cstr(r64(pdev + pd::NAME), 256) else {
        return -EINVAL;
    };
    let id = mem::read_u32(pdev + pd::ID).unwrap_or(0) as i32;
    let owner = crate::oops::calling_module(&[pdev, r64(pdev + pd::NAME)]);
    let name = with_bus(|b| {
        let name = match id {
            PLATFORM_DEVID_NONE => base.clone(),
            PLATFORM_DEVID_AUTO => {
                let n = (0..).find(|n| !b.auto_ids.contains(n)).unwrap_or(0);
                b.auto_ids.push(n);
                mem::write(pdev + pd::ID, &(n as i32).to_le_bytes());
                mem::write(pdev + pd::ID_AUTO, &[1]);
                format!("{base}.{n}.auto")
            }
            id => format!("{base}.{id}"),
        };
        if b.devices.iter().any(|d| d.added && d.name == name) {
            return Err(name);
        }
        match b.devices.iter_mut().find(|d| d.pdev == pdev) {
            Some(d) => {
                d.name = name.clone();
                d.added = true;
            }
            None => b.devices.push(Device {
                pdev,
                name: name.clone(),
                owner: owner.clone(),
                alloc: None,
                platform_data: None,
                added: true,
                bound: None,
            }),
        }
        Ok(name)
    });
    let name = match name {
        Ok(n) => n,
        Err(name) => {
            let k = kernel();
            k.printk(
                3,
                &format!("sysfs: cannot create duplicate filename '/devices/platform/{name}'"),
            );
            k.printk(
                3,
                &format!("kobject: kobject_add_internal failed for {name} with -EEXIST, don't try to register things with the same name in the same directory."),
            );
            return -EEXIST;
        }
    };
    let b = name.as_bytes();
    let n = b.len().min(dev::NAME_MAX - 1);
    let mut buf = b[..n].to_vec();
    buf.push(0);
    mem::write(pdev + pd::DEV + dev::NAME_BUF, &buf);
    w64(
        pdev + pd::DEV + dev::INIT_NAME,
        pdev + pd::DEV + dev::NAME_BUF,
    );
    attach_device(pdev, &name);
    0
}

/// `platform_device_register`: `device_initialize` + `platform_device_add`.
pub extern "C" fn platform_device_register(pdev: u64) -> i32 {
    platform_device_add(pdev)
}

/// `platform_device_del`: unbinds (the driver's remove) and takes the device off the bus.
pub extern "C" fn platform_device_del(pdev: u64) {
    let found = with_bus(|b| {
        let d = b.devices.iter_mut().find(|d| d.pdev == pdev && d.added)?;
        d.added = false;
        let mut flag = [0u8];
        let auto = mem::read(pdev + pd::ID_AUTO, &mut flag) && flag[0] != 0;
        if auto {
            let n = mem::read_u32(pdev + pd::ID).unwrap_or(0);
            b.auto_ids.retain(|&x| x != n);
        }
        Some(b.devices.iter().find(|d| d.pdev == pdev)?.bound)
    });
    if let Some(Some(pdrv)) = found {
        unbind(pdev, pdrv, true);
    }
}

/// `platform_device_put`: the last reference: the device's release (a static device without one
/// gets Linux's complaint), then kernel memory freed.
pub extern "C" fn platform_device_put(pdev: u64) {
    if pdev == 0 {
        return;
    }
    let Some(d) = with_bus(|b| {
        let i = b.devices.iter().position(|d| d.pdev == pdev && !d.added)?;
        Some(b.devices.remove(i))
    }) else {
        return;
    };
    if d.alloc.is_none() {
        let release = r64(pdev + pd::DEV + dev::RELEASE);
        if release == 0 {
            kernel().printk(
                3,
                &format!(
                    "Device '{}' does not have a release() function, it is broken and must be fixed. See Documentation/core-api/kobject.rst.",
                    d.name
                ),
            );
            // device_release's WARN (drivers/base/core.c); the module's frame when the call
            // from it is still on the stack (a tail call leaves none).
            crate::oops::warn_report(
                "drivers/base/core.c",
                0,
                None,
                crate::oops::module_caller(),
                None,
            );
            kernel().add_taint(crate::kernel::taint::WARN);
        } else {
            let _ = call(release, &[pdev + pd::DEV], "device_release");
        }
    }
    drop(d);
}

/// `platform_device_unregister`: del, then put.
pub extern "C" fn platform_device_unregister(pdev: u64) {
    platform_device_del(pdev);
    platform_device_put(pdev);
}

/// `platform_device_alloc(name, id)`: a device in kernel memory, not yet added.
pub extern "C" fn platform_device_alloc(name: u64, id: i32) -> u64 {
    let Some(base) = cstr(name, 256) else {
        return 0;
    };
    let Some(obj) = HostObj::new(pd::SIZE + base.len() + 1) else {
        return 0;
    };
    let pdev = obj.0;
    let name_copy = pdev + pd::SIZE as u64;
    let mut b = base.into_bytes();
    b.push(0);
    mem::write(name_copy, &b);
    w64(pdev + pd::NAME, name_copy);
    mem::write(pdev + pd::ID, &id.to_le_bytes());
    let owner = crate::oops::calling_module(&[name]);
    with_bus(|bus| {
        bus.devices.push(Device {
            pdev,
            name: String::new(),
            owner,
            alloc: Some(obj),
            platform_data: None,
            added: false,
            bound: None,
        })
    });
    pdev
}

/// `platform_device_add_data`: a kernel copy of `size` bytes as `dev.platform_data`.
pub extern "C" fn platform_device_add_data(pdev: u64, data: u64, size: usize) -> i32 {
    let copy = if data == 0 || size == 0 {
        None
    } else {
        let mut buf = vec![0u8; size];
        if !mem::read(data, &mut buf) {
            return -libc::EFAULT;
        }
        let Some(obj) = HostObj::new(size) else {
            return -ENOMEM;
        };
        mem::write(obj.0, &buf);
        Some(obj)
    };
    w64(
        pdev + pd::DEV + dev::PLATFORM_DATA,
        copy.as_ref().map_or(0, |o| o.0),
    );
    with_bus(|b| {
        if let Some(d) = b.devices.iter_mut().find(|d| d.pdev == pdev) {
            d.platform_data = copy;
        }
    });
    0
}

/// `platform_device_register_resndata`: alloc, data, add; the device or an `ERR_PTR`. Resources
/// are not modelled: a non-empty list is refused with `-EINVAL`.
pub extern "C" fn platform_device_register_resndata(
    parent: u64,
    name: u64,
    id: i32,
    res: u64,
    num: u32,
    data: u64,
    size: usize,
) -> u64 {
    let err = |e: i32| (-(e as i64)) as u64;
    if res != 0 && num != 0 {
        let base = cstr(name, 256).unwrap_or_default();
        kernel().printk(
            3,
            &format!("platform {base}: {num} resources: the sandbox has no I/O memory, ports or interrupts to give; refused (-EINVAL)"),
        );
        return err(EINVAL);
    }
    let pdev = platform_device_alloc(name, id);
    if pdev == 0 {
        return err(ENOMEM);
    }
    w64(pdev + pd::DEV, parent);
    let mut ret = platform_device_add_data(pdev, data, size);
    if ret == 0 {
        ret = platform_device_add(pdev);
    }
    if ret != 0 {
        platform_device_put(pdev);
        return err(-ret);
    }
    pdev
}

// ---------------------------------------------------------------------------------------------
// Drivers.

/// `__platform_driver_register(drv, owner)`: 0, or `-EBUSY` for a name already registered.
pub extern "C" fn __platform_driver_register(pdrv: u64, owner: u64) -> i32 {
    let Some(name) = cstr(r64(pdrv + pdrv::DRIVER_NAME), 256) else {
        return -EINVAL;
    };
    // driver.owner, as the macro's THIS_MODULE sets it.
    w64(pdrv + pdrv::DRIVER_OWNER, owner);
    let owner_name = kernel().module_at(owner).map(|m| m.name.clone());
    let dup = with_bus(|b| {
        if b.drivers.iter().any(|d| d.name == name) {
            return true;
        }
        b.drivers.push(Driver {
            pdrv,
            name: name.clone(),
            owner: owner_name,
        });
        false
    });
    if dup {
        kernel().printk(
            3,
            &format!("Error: Driver '{name}' is already registered, aborting..."),
        );
        return -EBUSY;
    }
    // driver_attach: every unbound device on the bus, in registration order.
    let unbound: Vec<(u64, String)> = with_bus(|b| {
        b.devices
            .iter()
            .filter(|d| d.added && d.bound.is_none())
            .map(|d| (d.pdev, d.name.clone()))
            .collect()
    });
    for (pdev, dev_name) in unbound {
        if let Some(entry) = matches(pdrv, &base_name(pdev)) {
            probe(pdev, pdrv, entry, &name, &dev_name);
        }
    }
    0
}

/// `platform_driver_unregister`: each bound device removed, then the driver.
pub extern "C" fn platform_driver_unregister(pdrv: u64) {
    let bound: Vec<u64> = with_bus(|b| {
        b.devices
            .iter()
            .filter(|d| d.bound == Some(pdrv))
            .map(|d| d.pdev)
            .collect()
    });
    for pdev in bound {
        unbind(pdev, pdrv, true);
    }
    with_bus(|b| b.drivers.retain(|d| d.pdrv != pdrv));
}

/// Called by the loader when a module goes: what it left registered is taken off the bus, without
/// calling its code, and reported.
pub fn module_unloading(m: &Module) {
    let mine = |o: &Option<String>| o.as_deref() == Some(m.name.as_str());
    let (drivers, devices) = with_bus(|b| {
        let drivers: Vec<(u64, String)> = b
            .drivers
            .iter()
            .filter(|d| mine(&d.owner))
            .map(|d| (d.pdrv, d.name.clone()))
            .collect();
        let devices: Vec<(u64, String)> = b
            .devices
            .iter()
            .filter(|d| mine(&d.owner) && d.added)
            .map(|d| (d.pdev, d.name.clone()))
            .collect();
        (drivers, devices)
    });
    let k = kernel();
    for (pdrv, name) in drivers {
        k.printk(
            3,
            &format!(
                "lkm: {}: platform driver '{name}' still registered at unload: removed",
                m.name
            ),
        );
        let bound: Vec<u64> = with_bus(|b| {
            b.devices
                .iter()
                .filter(|d| d.bound == Some(pdrv))
                .map(|d| d.pdev)
                .collect()
        });
        for pdev in bound {
            unbind(pdev, pdrv, false);
        }
        with_bus(|b| b.drivers.retain(|d| d.pdrv != pdrv));
    }
    for (pdev, name) in devices {
        k.printk(
            3,
            &format!(
                "lkm: {}: platform device '{name}' still registered at unload: removed",
                m.name
            ),
        );
        let bound = with_bus(|b| {
            b.devices
                .iter()
                .find(|d| d.pdev == pdev)
                .and_then(|d| d.bound)
        });
        if let Some(pdrv) = bound {
            // Another module's driver: its remove is its own code, still loaded.
            unbind(pdev, pdrv, true);
        }
        with_bus(|b| b.devices.retain(|d| d.pdev != pdev));
    }
}

// ---------------------------------------------------------------------------------------------
// /sys/bus/platform.

/// `/sys/bus`, `/sys/bus/platform`, `…/devices`, `…/drivers`, a driver's directory (its bound
/// devices) and a device's (`driver`, `modalias`, `uevent`). `None` for other paths.
pub fn read_dir(path: &str) -> Option<Result<Vec<String>, i32>> {
    let rel = path.strip_prefix("/sys/bus")?;
    let names = |v: Vec<String>| {
        let mut v = v;
        v.sort();
        Some(Ok(v))
    };
    match rel {
        "" => names(vec!["platform".into()]),
        "/platform" => names(vec!["devices".into(), "drivers".into()]),
        "/platform/devices" => names(with_bus(|b| {
            b.devices
                .iter()
                .filter(|d| d.added)
                .map(|d| d.name.clone())
                .collect()
        })),
        "/platform/drivers" => names(with_bus(|b| {
            b.drivers.iter().map(|d| d.name.clone()).collect()
        })),
        _ => {
            if let Some(drv) = rel.strip_prefix("/platform/drivers/") {
                return with_bus(|b| {
                    let d = b.drivers.iter().find(|d| d.name == drv)?;
                    let mut v: Vec<String> = b
                        .devices
                        .iter()
                        .filter(|x| x.bound == Some(d.pdrv))
                        .map(|x| x.name.clone())
                        .collect();
                    v.push("uevent".into());
                    v.sort();
                    Some(Ok(v))
                });
            }
            let dev = rel.strip_prefix("/platform/devices/")?;
            with_bus(|b| {
                let d = b.devices.iter().find(|d| d.added && d.name == dev)?;
                let mut v = vec!["modalias".to_string(), "uevent".to_string()];
                if d.bound.is_some() {
                    v.push("driver".into());
                }
                v.sort();
                Some(Ok(v))
            })
        }
    }
}

/// The files of those directories. `None` for other paths.
pub fn read_file(path: &str) -> Option<Result<Vec<u8>, i32>> {
    let rel = path.strip_prefix("/sys/bus/platform/")?;
    if let Some(rest) = rel.strip_prefix("devices/") {
        let (dev, file) = rest.split_once('/')?;
        return with_bus(|b| {
            let d = b.devices.iter().find(|d| d.added && d.name == dev)?;
            let base = base_name(d.pdev);
            let driver = d
                .bound
                .and_then(|p| b.drivers.iter().find(|x| x.pdrv == p))
                .map(|x| x.name.clone());
            let text = match file {
                "modalias" => format!("platform:{base}\n"),
                "uevent" => match &driver {
                    Some(drv) => format!("DRIVER={drv}\nMODALIAS=platform:{base}\n"),
                    None => format!("MODALIAS=platform:{base}\n"),
                },
                // A symbolic link on Linux (to ../../../bus/platform/drivers/<name>): its target's name.
                "driver" => format!("{}\n", driver?),
                _ => return None,
            };
            Some(Ok(text.into_bytes()))
        });
    }
    let (drv, file) = rel.strip_prefix("drivers/")?.split_once('/')?;
    with_bus(|b| {
        b.drivers.iter().find(|d| d.name == drv)?;
        match file {
            "uevent" => Some(Ok(Vec::new())),
            _ => None,
        }
    })
}

macro_rules! ex {
    ($($name:ident),* $(,)?) => {
        vec![$(func_export(stringify!($name), $name as *const () as usize).gpl()),*]
    };
}

pub fn exports() -> Vec<ExportEntry> {
    ex![
        platform_device_register,
        platform_device_unregister,
        platform_device_add,
        platform_device_del,
        platform_device_put,
        platform_device_alloc,
        platform_device_add_data,
        platform_device_register_resndata,
        __platform_driver_register,
        platform_driver_unregister,
    ]
}
