//! `lkm modprobe` on the sandbox kernel: a module tree built from real modules (`examples/export`'s
//! provider and `tests/modules/extsym`'s extuser, which needs it), indexed by `lkm depmod`, then
//! loaded and removed with its dependency by name, with options from the command line and from a
//! modprobe.d file.
//!
//! Without gcc or make the test skips with a message, except under CI, where it fails.

mod common;
use common::*;

const RELEASE: &str = "6.12.0-lkm";

/// `<scratch>/tree/lib/modules/RELEASE/extra/{provider,extuser}.ko`, indexed. Returns the root.
fn tree(env: &Env) -> std::path::PathBuf {
    let export = built_ok("export");
    let ext = built_ok("extsym");
    let root = env.root.join("modprobe-tree");
    let _ = std::fs::remove_dir_all(&root);
    let extra = root.join("lib/modules").join(RELEASE).join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::copy(export.ko("provider"), extra.join("provider.ko")).unwrap();
    std::fs::copy(ext.ko("extuser"), extra.join("extuser.ko")).unwrap();
    let r = run({
        let mut c = base_cmd(&root);
        c.args(["depmod", "-b"]).arg(&root).arg(RELEASE);
        c
    });
    assert_eq!(r.code, Some(0), "lkm depmod: {r:?}");
    root
}

#[test]
fn loads_and_removes_a_dependency_chain() {
    let env = need_env!();
    let root = tree(env);
    let root_s = root.display().to_string();
    let conf = root.join("test.conf");
    std::fs::write(
        &conf,
        "options extuser dummy_opt=1\nalias my-user extuser\n",
    )
    .unwrap();
    let conf_s = conf.display().to_string();
    let k = Kernel::new("modprobe");
    k.boot();
    let mp = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["modprobe", "-d", &root_s, "-S", RELEASE, "-C", &conf_s]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let moddir = root.join("lib/modules").join(RELEASE);
    let path = |m: &str| moddir.join("extra").join(format!("{m}.ko"));

    // The plan: the dependency first, command-line options after the configuration's.
    let args = mp(&["-D", "my-user"]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(
        k.ok(&argv),
        format!(
            "insmod {} \ninsmod {} dummy_opt=1 \n",
            path("provider").display(),
            path("extuser").display()
        )
    );

    // Loading through the alias; extuser has no parameter dummy_opt, so use one without options.
    std::fs::write(&conf, "alias my-user extuser\n").unwrap();
    let args = mp(&["-v", "my-user"]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = k.ok(&argv);
    assert_eq!(
        out,
        format!(
            "insmod {} \ninsmod {} \n",
            path("provider").display(),
            path("extuser").display()
        )
    );
    let pm = k.proc_modules();
    assert_eq!(pm.len(), 2, "{pm:?}");
    assert!(pm.iter().any(|l| l.starts_with("provider ")), "{pm:?}");
    assert!(pm.iter().any(|l| l.starts_with("extuser ")), "{pm:?}");
    assert_in_order(
        &k.dmesg(),
        &[
            "provider: loaded, counter=100",
            "extuser: provider_add(40, 2) = 143",
        ],
    );

    // Loaded already: nothing to do; with --first-time kmod's words and status 1.
    let args = mp(&["extuser"]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(k.ok(&argv), "");
    let args = mp(&["--first-time", "extuser"]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = k.run(&argv);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            Some(1),
            "modprobe: ERROR: could not insert 'extuser': Module already in kernel\n"
        )
    );

    // The provider is in use by extuser.
    let args = mp(&["-r", "provider"]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = k.run(&argv);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (Some(1), "modprobe: FATAL: Module provider is in use.\n")
    );

    // Removing extuser removes the provider it no longer needs.
    let args = mp(&["-r", "-v", "extuser"]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(k.ok(&argv), "rmmod extuser\nrmmod provider\n");
    assert_eq!(k.proc_modules(), Vec::<String>::new());

    // Without -d and -S: the sandbox's own tree, <state>/lib/modules/<release>.
    let own = k.state.join("lib/modules").join(RELEASE);
    copy_dir(&moddir, &own);
    assert_eq!(
        k.ok(&["modprobe", "-D", "extuser"]),
        format!(
            "insmod {} \ninsmod {} \n",
            own.join("extra/provider.ko").display(),
            own.join("extra/extuser.ko").display()
        )
    );

    // Unknown names: kmod's message with the module directory.
    let args = mp(&["no-such-module"]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = k.run(&argv);
    assert_eq!(
        (r.code, r.stderr),
        (
            Some(1),
            format!(
                "modprobe: FATAL: Module no-such-module not found in directory {}\n",
                moddir.display()
            )
        )
    );
}
