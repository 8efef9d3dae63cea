//! On-demand loading and symbol references in the sandbox (issue 8, item 5): `request_module()`
//! runs the helper `/proc/sys/kernel/modprobe` names, as Linux does, and `symbol_get()` /
//! `symbol_put()` hold the exporting module.

mod common;
use common::*;

use std::os::unix::fs::PermissionsExt;

#[test]
fn request_module_runs_the_configured_helper_and_symbol_get_holds_the_provider() {
    need_env!();
    let b = built_ok("kmod_req");
    let k = Kernel::new("kmod_helper").at(&b.dir);
    k.boot();
    // The default helper is lkm itself (its modprobe on the sandbox's module tree).
    let default = k.cat("/proc/sys/kernel/modprobe");
    assert_eq!(default.trim_end(), lkm(), "{default:?}");
    assert!(k.ok(&["cat", "/proc/sys/kernel"]).contains("modprobe"));

    // A helper script: records how the kernel runs it, then loads the module it is asked for.
    let log = k.root.join("kmod_helper.log");
    let helper = k.root.join("kmod_helper.sh");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\necho \"$0 $*\" >> {log}\necho \"cwd=$(pwd) HOME=$HOME TERM=$TERM PATH=$PATH\" >> {log}\nexec {lkm} --state {state} insmod {dir}/$3.ko\n",
            log = log.display(),
            lkm = lkm(),
            state = k.state.display(),
            dir = b.dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    k.ok(&[
        "write",
        "/proc/sys/kernel/modprobe",
        &helper.display().to_string(),
    ]);
    assert_eq!(
        k.cat("/proc/sys/kernel/modprobe").trim_end(),
        helper.display().to_string()
    );

    k.load(&b.ko("req_user"));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls,
        format!(
            "{} -q -- req_provider\ncwd=/ HOME=/ TERM=linux PATH=/sbin:/usr/sbin:/bin:/usr/bin\n",
            helper.display()
        )
    );
    let dmesg = k.dmesg();
    assert_in_order(
        &dmesg,
        &[
            "req_provider: loaded",
            "req_user: request_module(req_provider) = 0",
            "req_user: symbol_get(req_provider_answer)() = 42",
            "failing symbol_get of non-GPLONLY symbol req_provider_plain.",
            "req_user: symbol_get(req_provider_plain) = NULL",
        ],
    );
    // symbol_get holds req_provider (a reference, not a holder link, as on Linux).
    let lsmod = k.ok(&["lsmod"]);
    assert!(
        lsmod
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["req_provider", "12288", "1"]),
        "{lsmod}"
    );
    let r = k.run(&["rmmod", "req_provider"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (Some(1), "rmmod: ERROR: Module req_provider is in use\n")
    );
    // req_user's exit calls symbol_put: then req_provider can go.
    k.ok(&["rmmod", "req_user"]);
    k.ok(&["rmmod", "req_provider"]);

    // A helper that fails: request_module returns its wait status (exit 1 → 256).
    let failing = k.root.join("kmod_fail.sh");
    std::fs::write(&failing, "#!/bin/sh\nexit 1\n").unwrap();
    std::fs::set_permissions(&failing, std::fs::Permissions::from_mode(0o755)).unwrap();
    k.ok(&[
        "write",
        "/proc/sys/kernel/modprobe",
        &failing.display().to_string(),
    ]);
    k.ok(&[
        "insmod",
        &b.ko("req_user").display().to_string(),
        "want=nothing-here",
    ]);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "req_user: request_module(nothing-here) = 256"));
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "req_user: symbol_get(req_provider_answer) = NULL"));
    k.ok(&["rmmod", "req_user"]);

    // No helper at all: -ENOENT, as with an empty modprobe sysctl on Linux.
    k.ok(&["write", "/proc/sys/kernel/modprobe", ""]);
    k.ok(&["insmod", &b.ko("req_user").display().to_string(), "want=x"]);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "req_user: request_module(x) = -2"));
    k.ok(&["rmmod", "req_user"]);
}
