//! The platform bus: modules built against the SDK register platform drivers and devices; a match
//! by name or `id_table` is probed (whichever side comes second), unregistering either side removes
//! it, and `/sys/bus/platform` shows devices, drivers and bindings.

mod common;
use common::*;

fn boot_with(name: &str, modules: &[&str]) -> (Kernel, &'static Built) {
    let b = built_ok("platform_basic");
    let k = Kernel::new(name).at(&b.dir);
    k.boot();
    for m in modules {
        k.load(&b.ko(m));
    }
    (k, b)
}

const DEVICES: &str = "lkm_plat.0.auto\nlkm_plat.1\nlkm_plat.13\nlkm_plat.14\nlkm_plat_alt\n";

#[test]
fn a_driver_probes_devices_added_after_it() {
    need_env!();
    let (k, _) = boot_with("plat_driver_first", &["plat_drv", "plat_dev"]);
    assert_in_order(
        &k.dmesg(),
        &[
            "Error: Driver 'lkm_plat' is already registered, aborting...",
            "plat_drv: twin: -16",
            "plat_drv: owner ok: 1",
            "lkm_plat lkm_plat.1: probe: id=1 entry=lkm_plat data=1 info=hello/7",
            "lkm_plat lkm_plat.0.auto: probe: id=0 entry=lkm_plat data=1 info=-/0",
            "lkm_plat lkm_plat_alt: probe: id=-1 entry=lkm_plat_alt data=2 info=alt/9",
            "plat_dev: auto lkm_plat.0.auto, alt lkm_plat_alt",
            "plat_dev: add 13: 0",
            "lkm_plat: probe of lkm_plat.14 failed with error -12",
            "plat_dev: add 14: 0",
            "sysfs: cannot create duplicate filename '/devices/platform/lkm_plat.1'",
            "plat_dev: duplicate: -17",
            "platform lkm_plat: 1 resources: the sandbox has no I/O memory, ports or interrupts to give; refused (-EINVAL)",
            "plat_dev: with a resource: -22",
        ],
    );
    // -ENODEV is a quiet "not mine".
    assert!(!k.dmesg().iter().any(|l| l.contains("lkm_plat.13 failed")));
    assert_eq!(k.cat("/sys/bus/platform/devices"), DEVICES);
    assert_eq!(k.cat("/sys/bus/platform/drivers"), "lkm_plat\n");
    assert_eq!(
        k.cat("/sys/bus/platform/drivers/lkm_plat"),
        "lkm_plat.0.auto\nlkm_plat.1\nlkm_plat_alt\nuevent\n"
    );
    assert_eq!(
        k.cat("/sys/bus/platform/devices/lkm_plat.1/uevent"),
        "DRIVER=lkm_plat\nMODALIAS=platform:lkm_plat\n"
    );
    assert_eq!(
        k.cat("/sys/bus/platform/devices/lkm_plat.1/driver"),
        "lkm_plat\n"
    );
    assert_eq!(
        k.cat("/sys/bus/platform/devices/lkm_plat.13"),
        "modalias\nuevent\n"
    );
    assert_eq!(
        k.cat("/sys/bus/platform/devices/lkm_plat_alt/modalias"),
        "platform:lkm_plat_alt\n"
    );
    // Unregistering the devices calls remove (the driver data kept since probe), then release.
    k.ok(&["rmmod", "plat_dev"]);
    assert_in_order(
        &k.dmesg(),
        &[
            "lkm_plat lkm_plat_alt: remove: state of lkm_plat_alt",
            "lkm_plat lkm_plat.0.auto: remove: state of lkm_plat.0.auto",
            "lkm_plat lkm_plat.1: remove: state of lkm_plat.1",
            "plat_dev: release lkm_plat.1",
        ],
    );
    assert_eq!(k.cat("/sys/bus/platform/devices"), "");
    assert_eq!(k.cat("/sys/bus/platform/drivers/lkm_plat"), "uevent\n");
    k.ok(&["rmmod", "plat_drv"]);
    assert_eq!(k.cat("/sys/bus/platform/drivers"), "");
    assert!(k.dmesg().iter().any(|l| l == "plat_drv: gone"));
}

#[test]
fn a_driver_registered_later_binds_existing_devices_and_its_removal_unbinds() {
    need_env!();
    let (k, b) = boot_with("plat_devices_first", &["plat_dev"]);
    assert!(!k.dmesg().iter().any(|l| l.contains("probe:")));
    assert!(!k
        .cat("/sys/bus/platform/devices/lkm_plat.1")
        .contains("driver"));
    k.load(&b.ko("plat_drv"));
    let log = k.dmesg();
    // Probed in the order the devices were added; the platform data is the device's own copy
    // (the module changed its variable after registering).
    assert_in_order(
        &log,
        &[
            "lkm_plat lkm_plat.1: probe: id=1 entry=lkm_plat data=1 info=hello/7",
            "lkm_plat lkm_plat.0.auto: probe: id=0 entry=lkm_plat data=1 info=-/0",
            "lkm_plat lkm_plat_alt: probe: id=-1 entry=lkm_plat_alt data=2 info=alt/9",
            "lkm_plat: probe of lkm_plat.14 failed with error -12",
            "plat_drv: twin: -16",
        ],
    );
    // The driver's module goes first: each bound device is removed; the devices stay, unbound.
    k.ok(&["rmmod", "plat_drv"]);
    assert_in_order(
        &k.dmesg(),
        &[
            "lkm_plat lkm_plat.1: remove: state of lkm_plat.1",
            "lkm_plat lkm_plat.0.auto: remove: state of lkm_plat.0.auto",
            "lkm_plat lkm_plat_alt: remove: state of lkm_plat_alt",
            "plat_drv: gone",
        ],
    );
    assert_eq!(k.cat("/sys/bus/platform/devices"), DEVICES);
    assert_eq!(
        k.cat("/sys/bus/platform/devices/lkm_plat.1/uevent"),
        "MODALIAS=platform:lkm_plat\n"
    );
    k.ok(&["rmmod", "plat_dev"]);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "plat_dev: release lkm_plat.1"));
}

#[test]
fn a_device_without_release_and_leftovers_at_unload_are_reported() {
    need_env!();
    let (k, b) = boot_with("plat_reports", &["plat_norelease", "plat_leak"]);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "lkm_leak lkm_leak.0: leak probe"));
    let r = k.run(&["rmmod", "plat_norelease"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "Device 'lkm_bare' does not have a release() function, it is broken and must be fixed. See Documentation/core-api/kobject.rst.",
            "------------[ cut here ]------------",
        ],
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("WARNING: CPU: ") && l.contains(" at drivers/base/core.c")),
        "{log:?}"
    );
    assert_ne!(k.tainted() & (1 << 9), 0, "taint W");
    // The reports are errors: the console shows them to rmmod's terminal.
    let r = k.run(&["rmmod", "plat_leak"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_in_order(
        &k.dmesg(),
        &[
            "lkm: plat_leak: platform driver 'lkm_leak' still registered at unload: removed",
            "lkm: plat_leak: platform device 'lkm_leak.0' still registered at unload: removed",
        ],
    );
    assert_eq!(k.cat("/sys/bus/platform/devices"), "");
    assert_eq!(k.cat("/sys/bus/platform/drivers"), "");
    // The names are free again.
    k.load(&b.ko("plat_leak"));
    assert_eq!(k.run(&["rmmod", "plat_leak"]).code, Some(0));
}
