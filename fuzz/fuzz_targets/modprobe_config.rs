//! Fuzzes modprobe's configuration readers: arbitrary bytes as a modprobe.d file and as a kernel
//! command line. Neither may panic, and what they keep must be well formed: module names
//! normalised (no `-` outside brackets), no tabs left in options, every message a single line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lkm_kmod::modprobe::config::Config;

fn normalised(name: &[u8]) -> bool {
    let mut in_bracket = false;
    for &b in name {
        match b {
            b'[' if !in_bracket => in_bracket = true,
            b']' if in_bracket => in_bracket = false,
            b'-' if !in_bracket => return false,
            _ => {}
        }
    }
    true
}

fuzz_target!(|data: &[u8]| {
    let mut cfg = Config::default();
    let mut messages = Vec::new();
    cfg.parse(data, "fuzz.conf", &mut |m| messages.push(m.line_text()));
    // Tabs in file options become blanks (the command line may keep them inside quotes).
    for (name, opts) in &cfg.options {
        assert!(normalised(name) && !opts.is_empty() && !opts.contains(&b'\t'));
    }
    cfg.parse_kcmdline(data, &mut |m| messages.push(m.line_text()));
    for m in &messages {
        assert!(
            m.ends_with('\n') && !m[..m.len() - 1].contains('\n'),
            "{m:?}"
        );
    }
    for (name, _) in &cfg.options {
        assert!(normalised(name));
    }
    for (pattern, modname) in &cfg.aliases {
        assert!(normalised(pattern) && normalised(modname));
        assert!(!pattern.is_empty() && !modname.is_empty());
    }
    for (name, cmd) in cfg.install.iter().chain(&cfg.remove) {
        assert!(normalised(name) && !cmd.is_empty());
    }
    for dep in &cfg.softdeps {
        assert!(normalised(&dep.name));
        let shown = dep.display_value();
        for w in dep.pre.iter().chain(&dep.post) {
            assert!(!w.is_empty() && shown.windows(w.len()).any(|x| x == &w[..]));
        }
    }
});
