//! The kmod tools as library functions. Each tool parses nothing from the command line itself (the
//! `lkm` binary does that); it takes options, writes its output to a writer and its messages through a
//! [`Reporter`], and returns kmod's exit status.

pub mod depmod;
pub mod insmod;
mod loaded;
pub mod lsmod;
pub mod moddir;
pub mod modinfo;
pub mod modprobe;
pub mod rmmod;
mod syslog;

/// A tool's messages in kmod's log format, `<prog>: <LEVEL>: <message>`, collected so that work done in
/// parallel can still be reported in argument order.
#[derive(Debug, Clone, Default)]
pub struct Reporter {
    prog: String,
    messages: Vec<u8>,
}

impl Reporter {
    /// Messages prefixed with `prog`, the name the tool was run as.
    pub fn new(prog: &str) -> Self {
        Reporter {
            prog: prog.to_owned(),
            messages: Vec::new(),
        }
    }

    /// The program name messages are prefixed with.
    pub fn prog(&self) -> &str {
        &self.prog
    }

    /// `prog: ERROR: message`.
    pub fn error(&mut self, msg: &str) {
        self.line("ERROR", msg);
    }

    /// `prog: WARNING: message`.
    pub fn warning(&mut self, msg: &str) {
        self.line("WARNING", msg);
    }

    fn line(&mut self, level: &str, msg: &str) {
        self.messages
            .extend_from_slice(format!("{}: {level}: {msg}\n", self.prog).as_bytes());
    }

    /// A reporter for the same program with no messages yet.
    pub fn fork(&self) -> Self {
        Reporter::new(&self.prog)
    }

    /// Takes the messages collected so far.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.messages)
    }
}
