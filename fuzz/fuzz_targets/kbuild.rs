//! Fuzzes the text parsers of the build and the loader: `lkm build`'s Kbuild-file reader and the
//! kernel's module-parameter splitting (`next_arg`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = lkm_sdk::kbuild::parse(text);
    for (name, value) in lkm_sandbox::params::split_args(text) {
        assert!(!name.bytes().any(|b| b.is_ascii_whitespace()) || text.contains('"'));
        let _ = value;
    }
});
