//! What a run tells the operator: narration on stdout, warnings on stderr, one whole line
//! at a time under a lock so lines from different servers never interleave.

use std::io::Write;
use std::sync::Mutex;

use crate::error::sanitize;

pub struct Report {
    lock: Mutex<()>,
    dry_run: bool,
}

impl Report {
    pub fn new(dry_run: bool) -> Report {
        Report { lock: Mutex::new(()), dry_run }
    }

    /// A numbered step of a runbook.
    pub fn step(&self, number: usize, text: &str) {
        self.out(&format!("== step {number}: {}", sanitize(text)));
    }

    /// An action on a server, with the rules that were checked before it.
    pub fn action(&self, server: &str, text: &str, rules: &[crate::rules::Rule]) {
        let checks = if rules.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
            format!("  [checks {}]", names.join(", "))
        };
        let verb = if self.dry_run { "plan " } else { "" };
        self.out(&format!("{verb}[{server}] {text}{checks}"));
    }

    pub fn note(&self, server: Option<&str>, text: &str) {
        match server {
            Some(server) => self.out(&format!("[{server}] {}", sanitize(text))),
            None => self.out(&sanitize(text)),
        }
    }

    pub fn warn(&self, text: &str) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "warning: {}", sanitize(text));
    }

    fn out(&self, line: &str) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
