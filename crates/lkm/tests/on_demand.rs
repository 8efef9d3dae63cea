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

    // A name longer than MODULE_NAME_LEN - 1: -ENAMETOOLONG, and no helper runs.
    let long = "x".repeat(60);
    k.ok(&[
        "insmod",
        &b.ko("req_user").display().to_string(),
        &format!("want={long}"),
    ]);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == &format!("req_user: request_module({long}) = -36")));
    k.ok(&["rmmod", "req_user"]);

    // symbol_put of a name nobody exports: Linux's BUG_ON is a warning here, naming the module.
    k.ok(&["insmod", &b.ko("req_badput").display().to_string()]);
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "------------[ cut here ]------------",
            "__symbol_put: no exported symbol lkm_no_such_symbol",
            "req_badput: still here",
        ],
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("WARNING: CPU: ") && l.contains("req_badput_init")),
        "{log:?}"
    );
    k.ok(&["rmmod", "req_badput"]);

    // No helper at all: -ENOENT, as with an empty modprobe sysctl on Linux.
    k.ok(&["write", "/proc/sys/kernel/modprobe", ""]);
    k.ok(&["insmod", &b.ko("req_user").display().to_string(), "want=x"]);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "req_user: request_module(x) = -2"));
    k.ok(&["rmmod", "req_user"]);
}

/// `make -C $(lkm sdk) M=DIR modules_install` for kernel `k` (its state directory through
/// `$LKM_STATE`, as a user's shell would have it).
fn modules_install(k: &Kernel, dir: &std::path::Path) -> Run {
    let env = env().expect("checked by the caller");
    let mut c = make(env);
    c.arg("-C")
        .arg(&env.sdk)
        .arg(format!("M={}", dir.display()))
        .arg("modules_install")
        .env("LKM_STATE", &k.state);
    run(c)
}

#[test]
fn the_seeds_hello_installs_with_modules_install_and_loads_with_modprobe() {
    need_env!();
    let b = built_ok("hello");
    let k = Kernel::new("modprobe_hello").at(&b.dir);
    k.boot();
    let r = modules_install(&k, &b.dir);
    assert_eq!(r.code, Some(0), "{r:?}");
    let tree = k.state.join("lib/modules/6.12.0-lkm");
    assert!(
        r.stdout.contains(&format!(
            "  INSTALL {}/extra/hello.ko\n  DEPMOD  {}\n",
            tree.display(),
            tree.display()
        )),
        "{r:?}"
    );
    assert_eq!(
        std::fs::read_to_string(tree.join("modules.dep")).unwrap(),
        "extra/hello.ko:\n"
    );
    // The seeds' "Execution": modprobe hello prints the greeting, lsmod lists it, rmmod says
    // goodbye.
    let r = k.run(&["modprobe", "hello"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(
        untime(&r.stderr),
        "[    t] Good morrow\n[    t] to this fair assembly.\n"
    );
    assert!(k.ok(&["lsmod"]).lines().any(|l| l.starts_with("hello ")));
    let r = k.run(&["rmmod", "hello"]);
    assert_eq!(
        untime(&r.stderr),
        "[    t] Alas, poor world, what treasure\n[    t] hast thou lost!\n"
    );
    // modprobe -r removes it too; an unknown name is kmod's FATAL, naming the sandbox's tree.
    assert_eq!(k.run(&["modprobe", "hello"]).code, Some(0));
    assert_eq!(k.run(&["modprobe", "-r", "hello"]).code, Some(0));
    assert!(!k.ok(&["lsmod"]).contains("hello"));
    let r = k.run(&["modprobe", "no_such_module"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr,
        format!(
            "modprobe: FATAL: Module no_such_module not found in directory {}\n",
            tree.display()
        )
    );
}

#[test]
fn modprobe_loads_dependencies_options_and_on_demand_requests_from_the_sandbox_tree() {
    need_env!();
    let b = built_ok("kmod_req");
    let k = Kernel::new("modprobe_chain").at(&b.dir);
    k.boot();
    let r = modules_install(&k, &b.dir);
    assert_eq!(r.code, Some(0), "{r:?}");
    // The sandbox's own modprobe.d (not the host's).
    let conf = k.state.join("etc/modprobe.d");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("req.conf"), "options req_provider answer=7\n").unwrap();

    // A dependency chain by name: req_provider first, with its configured option.
    let r = k.run(&["modprobe", "-v", "req_chain"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let tree = k.state.join("lib/modules/6.12.0-lkm");
    assert_eq!(
        r.stdout,
        format!(
            "insmod {t}/extra/req_provider.ko answer=7 \ninsmod {t}/extra/req_chain.ko \n",
            t = tree.display()
        )
    );
    assert_eq!(k.cat("/sys/module/req_provider/parameters/answer"), "7\n");
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "req_chain: req_provider_plain() = 7"));
    k.ok(&["modprobe", "-r", "req_chain"]);
    assert!(!k.ok(&["lsmod"]).contains("req_provider"));

    // request_module() from init, through the default helper (lkm's modprobe on this tree), by
    // alias: req_provider comes, with its option, while req_user's init waits.
    k.ok(&[
        "insmod",
        &b.ko("req_user").display().to_string(),
        "want=req-alias",
    ]);
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "req_provider: loaded",
            "req_user: request_module(req-alias) = 0",
            "req_user: symbol_get(req_provider_answer)() = 7",
        ],
    );
    // An unknown name: modprobe's exit status 1 as the wait status.
    k.ok(&["rmmod", "req_user"]);
    k.ok(&[
        "insmod",
        &b.ko("req_user").display().to_string(),
        "want=nothing-here",
    ]);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "req_user: request_module(nothing-here) = 256"));
    k.ok(&["rmmod", "req_user", "req_provider"]);
}
