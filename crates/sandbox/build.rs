// Builds the sandbox's thin C edge: variadic entry points and the guarded call (see csrc/entry.c).
fn main() {
    println!("cargo:rerun-if-changed=csrc/entry.c");
    cc::Build::new()
        .file("csrc/entry.c")
        .flag("-fno-strict-aliasing")
        .warnings(true)
        .compile("lkm_sandbox_entry");
}
