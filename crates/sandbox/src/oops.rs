//! Oops, warning and stack reports in the kernel's shape, for faults the guard caught in module code.

use std::sync::atomic::Ordering;

use crate::guard::{Fault, FaultKind};
use crate::kernel::{kernel, taint};
use crate::mem;

/// The current task's name (`current->comm`).
fn comm() -> String {
    crate::sched::current().comm()
}

/// The current task's pid (the client process's, for a request).
fn pid() -> i32 {
    crate::sched::current().pid()
}

/// `function+0xoff/0xsize [module]`, or the bare address when no symbol covers it.
pub fn symbolize(addr: u64) -> String {
    match kernel().symbol_at(addr) {
        Some((name, off, size, Some(m))) => format!("{name}+{off:#x}/{size:#x} [{m}]"),
        Some((name, off, size, None)) => format!("{name}+{off:#x}/{size:#x}"),
        None => format!("0x{addr:x}"),
    }
}

fn header_line() -> String {
    let k = kernel();
    format!(
        "CPU: 0 UID: 0 PID: {} Comm: {} {} {} #1",
        pid(),
        comm(),
        k.tainted_string(),
        crate::kernel::UTS_RELEASE
    )
}

/// Scans the stack from `rsp` for return addresses into module or kernel text, as the kernel's
/// unwinder prints unreliable entries (`? name+off/size [mod]`).
fn call_trace(rsp: u64) -> Vec<String> {
    if rsp == 0 {
        return Vec::new();
    }
    let mut words = Vec::new();
    for i in 0..256u64 {
        let Some(word) = mem::read_u64(rsp + i * 8) else {
            break;
        };
        words.push(word);
    }
    call_trace_words(&words)
}

/// Whether `word` is a return address into module code.
fn module_return_address(word: u64) -> bool {
    let in_module_text = kernel().module_at(word).is_some_and(|m| {
        m.regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|r| r.text && word >= r.base && word < r.base + r.len)
    });
    in_module_text && follows_call(word)
}

/// The innermost module frame calling into the kernel now: the first return address into
/// module code on this thread's stack.
pub fn module_caller() -> Option<u64> {
    let here = 0u64;
    let sp = std::hint::black_box(&here) as *const u64 as u64;
    (0..512u64)
        .map_while(|i| mem::read_u64(sp + i * 8))
        .find(|&w| module_return_address(w))
}

/// The name of the module a kernel service works for: the innermost module frame calling in, else
/// the module holding one of `addrs` (the caller's data or strings; a tail call from module code
/// leaves no frame of its own).
pub fn calling_module(addrs: &[u64]) -> Option<String> {
    let k = kernel();
    module_caller()
        .into_iter()
        .chain(addrs.iter().copied())
        .find_map(|a| k.module_at(a))
        .map(|m| m.name.clone())
}

/// [`call_trace`] over stack words already copied.
fn call_trace_words(words: &[u64]) -> Vec<String> {
    let mut lines = Vec::new();
    for &word in words {
        if module_return_address(word) {
            // A scan meets stale copies of the same return addresses (old frames, saved
            // registers); each is shown once.
            let line = format!(" ? {}", symbolize(word));
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
        if lines.len() >= 16 {
            break;
        }
    }
    lines
}

/// Whether `addr` is a plausible return address: the instruction before it is a call (`e8 rel32`,
/// or `ff /2` with a register or memory operand).
pub(crate) fn follows_call(addr: u64) -> bool {
    let mut b = [0u8; 7];
    if !mem::read(addr - 7, &mut b) {
        return false;
    }
    b[2] == 0xe8
        || b[5] == 0xff && (b[6] & 0x38) == 0x10
        || b[4] == 0xff && (b[5] & 0x38) == 0x10
        || b[1] == 0xff && (b[2] & 0x38) == 0x10
}

pub(crate) fn modules_linked_in() -> String {
    let mods: Vec<String> = kernel()
        .modules()
        .iter()
        .map(|m| format!("{}{}", m.name, m.flags()))
        .collect();
    format!("Modules linked in: {}", mods.join(" "))
}

/// Logs the oops report for a fault in module code and taints the kernel D. `context` names what
/// was running ("init", "exit", …) for the report's last line.
pub fn report(fault: &Fault, context: &str) {
    let k = kernel();
    let n = k.oops_count.fetch_add(1, Ordering::AcqRel) + 1;
    let mut lines: Vec<(u8, String)> = Vec::new();
    let kind = fault.kind();
    let what = match &kind {
        FaultKind::Signal(libc::SIGSEGV) | FaultKind::Signal(libc::SIGBUS) => {
            // The fault happened in user mode as far as the CPU knows; the report shows it as the
            // kernel mode it stands for (error code without the user bit).
            let code = fault.err & 0xffff & !4;
            let write = fault.err & 2 != 0;
            let fetch = fault.err & 16 != 0;
            // A vmalloc area's guard page or a freed area: KASAN's explanation first.
            for l in crate::services::memory::describe_fault(fault.addr, fault.rip, write) {
                lines.push((3, l));
            }
            if fault.addr < 4096 {
                lines.push((
                    1,
                    format!(
                        "BUG: kernel NULL pointer dereference, address: {:016x}",
                        fault.addr
                    ),
                ));
            } else {
                lines.push((
                    1,
                    format!(
                        "BUG: unable to handle page fault for address: {:016x}",
                        fault.addr
                    ),
                ));
            }
            lines.push((
                1,
                format!(
                    "#PF: supervisor {} access in kernel mode",
                    if fetch {
                        "instruction fetch"
                    } else if write {
                        "write"
                    } else {
                        "read"
                    }
                ),
            ));
            lines.push((
                1,
                format!(
                    "#PF: error_code({:#06x}) - {}",
                    code,
                    if fault.err & 1 != 0 {
                        "permissions violation"
                    } else {
                        "not-present page"
                    }
                ),
            ));
            format!("Oops: {code:04x} [#{n}] PREEMPT SMP NOPTI")
        }
        FaultKind::Signal(libc::SIGILL) => {
            format!("Oops: invalid opcode: 0000 [#{n}] PREEMPT SMP NOPTI")
        }
        FaultKind::Signal(libc::SIGFPE) => {
            format!("Oops: divide error: 0000 [#{n}] PREEMPT SMP NOPTI")
        }
        FaultKind::Signal(libc::SIGTRAP) => format!("Oops: int3: 0000 [#{n}] PREEMPT SMP NOPTI"),
        FaultKind::Signal(s) => format!("Oops: signal {s} [#{n}] PREEMPT SMP NOPTI"),
        FaultKind::Bug { file, line } => {
            lines.push((0, "------------[ cut here ]------------".to_string()));
            lines.push((2, format!("kernel BUG at {file}:{line}!")));
            format!("Oops: invalid opcode: 0000 [#{n}] PREEMPT SMP NOPTI")
        }
        FaultKind::StackProtector => {
            lines.push((
                0,
                format!(
                    "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: {}",
                    symbolize(fault.rip)
                ),
            ));
            format!("Oops: stack-protector [#{n}] PREEMPT SMP NOPTI")
        }
        FaultKind::Panic => format!("Oops: panic [#{n}] PREEMPT SMP NOPTI"),
    };
    k.add_taint(taint::DIE);
    lines.push((4, what));
    lines.push((4, header_line()));
    lines.push((4, "Hardware name: lkm sandbox".to_string()));
    lines.push((4, format!("RIP: 0010:{}", symbolize(fault.rip))));
    if fault.rsp != 0 {
        lines.push((4, format!("RSP: 0018:{:016x}", fault.rsp)));
    }
    lines.push((4, "Call Trace:".to_string()));
    lines.push((4, " <TASK>".to_string()));
    for l in call_trace_words(fault.stack_words()) {
        lines.push((4, l));
    }
    lines.push((4, format!(" lkm_{}+0x0/0x0", context.replace(' ', "_"))));
    lines.push((4, " </TASK>".to_string()));
    lines.push((4, modules_linked_in()));
    if matches!(
        kind,
        FaultKind::Signal(libc::SIGSEGV) | FaultKind::Signal(libc::SIGBUS)
    ) {
        lines.push((4, format!("CR2: {:016x}", fault.addr)));
    }
    lines.push((4, "---[ end trace 0000000000000000 ]---".to_string()));
    for (level, l) in lines {
        k.printk(level, &l);
    }
    // What `make_task_dead` notes when the task died in atomic context (the guard has already
    // restored the context the call began in).
    for note in crate::guard::take_exit_notes() {
        k.printk(6, &note);
    }
}

/// The report `WARN()` prints, as x86's `__warn_printk` and `__warn` do: the cut-here line, the
/// message (if any), `WARNING: … at file:line function+off/size [module]`, the modules, the CPU
/// line, and the registers and call trace of the warning site (`line` 0: not known). `rip` is the warning's return
/// address in module code (the kernel's own code has no symbols here: `None`), `sp` a stack
/// address above it to scan the trace from (else this stack's, as `dump_stack()` prints it).
/// The caller taints `W` afterwards, as `__warn` does.
pub fn warn_report(
    file: &str,
    line: i32,
    message: Option<&[u8]>,
    rip: Option<u64>,
    sp: Option<u64>,
) {
    let k = kernel();
    k.printk(4, "------------[ cut here ]------------");
    if let Some(m) = message {
        crate::printk::emit(m);
    }
    // Without a source location (`file` empty), the site alone, as a kernel without
    // CONFIG_DEBUG_BUGVERBOSE prints it; a file without a line (`line` 0) when the line in Linux's
    // source is not known.
    let mut warning = format!("WARNING: CPU: 0 PID: {} at", pid());
    match (file.is_empty(), line) {
        (true, _) => {}
        (false, 0) => warning.push_str(&format!(" {file}")),
        (false, _) => warning.push_str(&format!(" {file}:{line}")),
    }
    if let Some(rip) = rip {
        warning.push(' ');
        warning.push_str(&symbolize(rip));
    }
    k.printk(4, &warning);
    k.printk(4, &modules_linked_in());
    k.printk(4, &header_line());
    k.printk(4, "Hardware name: lkm sandbox");
    let here = 0u64;
    if let Some(rip) = rip {
        k.printk(4, &format!("RIP: 0010:{}", symbolize(rip)));
        if let Some(sp) = sp {
            k.printk(4, &format!("RSP: 0018:{sp:016x}"));
        }
    }
    let sp = sp.unwrap_or(&here as *const u64 as u64);
    k.printk(4, "Call Trace:");
    k.printk(4, " <TASK>");
    for l in call_trace(sp) {
        k.printk(4, &l);
    }
    k.printk(4, " </TASK>");
    k.printk(4, "---[ end trace 0000000000000000 ]---");
}

/// `dump_stack()`.
pub fn dump_stack() {
    let k = kernel();
    k.printk(4, &header_line());
    k.printk(4, "Hardware name: lkm sandbox");
    k.printk(4, "Call Trace:");
    k.printk(4, " <TASK>");
    let here = 0u64;
    for l in call_trace(&here as *const u64 as u64) {
        k.printk(4, &l);
    }
    k.printk(4, " </TASK>");
}
