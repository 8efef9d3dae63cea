// Builds the sandbox's thin C edge: variadic entry points and the guarded call (see csrc/entry.c).
fn main() {
    println!("cargo:rerun-if-changed=csrc/entry.c");
    println!("cargo:rerun-if-changed=csrc/sync.c");
    println!("cargo:rerun-if-changed=csrc/memory.c");
    println!("cargo:rerun-if-changed=csrc/kthread.c");
    println!("cargo:rerun-if-changed=csrc/lib.c");
    println!("cargo:rerun-if-changed=csrc/chardev.c");
    println!("cargo:rerun-if-changed=csrc/procfs.c");
    println!("cargo:rerun-if-changed=csrc/kmod.c");
    cc::Build::new()
        .file("csrc/entry.c")
        .file("csrc/sync.c")
        .file("csrc/memory.c")
        .file("csrc/kthread.c")
        .file("csrc/lib.c")
        .file("csrc/chardev.c")
        .file("csrc/procfs.c")
        .file("csrc/kmod.c")
        .flag("-fno-strict-aliasing")
        .warnings(true)
        .compile("lkm_sandbox_entry");
}
