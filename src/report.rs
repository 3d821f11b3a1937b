//! What a run tells the operator: narration on stdout, warnings on stderr, one whole line
//! at a time under a lock so lines from different servers never interleave. During a batch
//! on a terminal, a line per running server and an overall bar (indicatif) sit below the
//! narration; elsewhere every line of a batch job carries its server's name.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::sanitize;

thread_local! {
    /// The server a batch worker thread is working on: its lines carry the name.
    static CURRENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Marks the calling thread as working on `server` until the guard drops.
pub struct OnServer;

impl OnServer {
    pub fn enter(server: &str) -> OnServer {
        CURRENT.with(|c| *c.borrow_mut() = Some(server.to_string()));
        OnServer
    }
}

impl Drop for OnServer {
    fn drop(&mut self) {
        CURRENT.with(|c| *c.borrow_mut() = None);
    }
}

fn current() -> Option<String> {
    CURRENT.with(|c| c.borrow().clone())
}

struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    servers: BTreeMap<String, ProgressBar>,
}

pub struct Report {
    lock: Mutex<()>,
    dry_run: bool,
    bars: Mutex<Option<Bars>>,
    /// Prints nothing (the dry run a real run makes first).
    quiet: bool,
}

impl Report {
    pub fn new(dry_run: bool) -> Report {
        Report { lock: Mutex::new(()), dry_run, bars: Mutex::new(None), quiet: false }
    }

    /// A report that prints nothing.
    pub fn silent() -> Report {
        Report { quiet: true, ..Report::new(true) }
    }

    /// A numbered step of a runbook.
    pub fn step(&self, number: usize, text: &str) {
        let number = number.to_string();
        let text = sanitize(text);
        self.out(&crate::i18n::t("step-header", &[("number", &number), ("text", &text)]));
    }

    /// An action on a server, with the rules that were checked before it.
    pub fn action(&self, server: &str, text: &str, rules: &[crate::rules::Rule]) {
        let checks = if rules.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
            format!("  [{}]", crate::msg!("cmd-action-checks", rules = names.join(", ")))
        };
        let text = sanitize(text);
        self.status(server, &text);
        if self.dry_run {
            self.out_raw(&crate::msg!(
                "cmd-action-planned",
                server = server,
                text = text,
                checks = checks
            ));
        } else {
            self.out_raw(&format!("[{server}] {text}{checks}"));
        }
    }

    pub fn note(&self, server: Option<&str>, text: &str) {
        match server {
            Some(server) => self.out_raw(&format!("[{server}] {}", sanitize(text))),
            None => self.out(&sanitize(text)),
        }
    }

    pub fn warn(&self, text: &str) {
        if self.quiet {
            return;
        }
        let prefix = current().map(|s| format!("[{s}] ")).unwrap_or_default();
        let line = crate::msg!("cmd-warning", prefix = prefix, text = sanitize(text));
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if !self.print_above_bars(&line) {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }

    /// A line that may come from a batch worker: prefixed with its server.
    fn out(&self, line: &str) {
        match current() {
            Some(server) => self.out_raw(&format!("[{server}] {line}")),
            None => self.out_raw(line),
        }
    }

    fn out_raw(&self, line: &str) {
        if self.quiet {
            return;
        }
        let line = &sanitize(line);
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.print_above_bars(line) {
            return;
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// Prints `line` above the progress bars when they are on screen; false otherwise.
    fn print_above_bars(&self, line: &str) -> bool {
        let bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        match bars.as_ref() {
            // MultiProgress drops println when hidden, so only a visible one gets lines.
            Some(b) if !b.multi.is_hidden() => b.multi.println(line).is_ok(),
            _ => false,
        }
    }

    /// Starts the progress display of a batch of `total` servers (terminal only).
    pub fn begin_batch(&self, total: usize) {
        if self.quiet {
            return;
        }
        if !std::io::stderr().is_terminal() {
            return;
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(total as u64));
        let template = crate::msg!(
            "cmd-progress-overall",
            bar = "{bar:30}",
            pos = "{pos}",
            len = "{len}",
            elapsed = "{elapsed}"
        );
        overall.set_style(
            ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        *self.bars.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Bars { multi, overall, servers: BTreeMap::new() });
    }

    pub fn server_started(&self, server: &str) {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bars) = bars.as_mut() {
            let bar = bars.multi.insert_before(&bars.overall, ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:<10} {msg} {bytes}")
                    .expect("template"),
            );
            bar.set_prefix(server.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            bars.servers.insert(server.to_string(), bar);
        }
    }

    /// What a running server is doing now.
    pub fn status(&self, server: &str, text: &str) {
        if let Some(bars) = self.bars.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && let Some(bar) = bars.servers.get(server)
        {
            bar.set_message(sanitize(text));
        }
    }

    /// Bytes moved for `server` so far.
    pub fn bytes(&self, server: &str, bytes: u64) {
        if let Some(bars) = self.bars.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && let Some(bar) = bars.servers.get(server)
        {
            bar.set_position(bytes);
        }
    }

    pub fn server_done(&self, server: &str) {
        if let Some(bars) = self.bars.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            if let Some(bar) = bars.servers.remove(server) {
                bar.finish_and_clear();
                bars.multi.remove(&bar);
            }
            bars.overall.inc(1);
        }
    }

    pub fn end_batch(&self) {
        if let Some(bars) = self.bars.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bars.overall.finish_and_clear();
            let _ = bars.multi.clear();
        }
    }
}

/// Prints one line of a command's output (lists, tables): text from servers, manifests
/// and journals made safe for a terminal. A closed stdout (`kuroko status | head -1`)
/// ends the program quietly instead of panicking.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{}", sanitize(line)).and_then(|_| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// `println!` for command output, through `say`.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::report::say(&format!($($arg)*)) };
}

/// Prints one line on stderr, sanitised; a closed stderr is ignored (never a panic).
pub fn tell(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", sanitize(line));
}

/// `eprintln!` through `tell`.
#[macro_export]
macro_rules! tell {
    ($($arg:tt)*) => { $crate::report::tell(&format!($($arg)*)) };
}

/// How many terminal columns `text` takes: East Asian wide characters (kana, kanji,
/// full-width forms) take two, so that tables line up in Japanese too.
pub fn width(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115f
            | 0x2e80..=0x303e
            | 0x3041..=0x33ff
            | 0x3400..=0x4dbf
            | 0x4e00..=0x9fff
            | 0xa000..=0xa4cf
            | 0xac00..=0xd7a3
            | 0xf900..=0xfaff
            | 0xfe30..=0xfe4f
            | 0xff00..=0xff60
            | 0xffe0..=0xffe6 => 2,
            _ => 1,
        })
        .sum()
}

/// `text` followed by blanks up to `columns` (as `{:<N}` does for ASCII).
pub fn pad(text: &str, columns: usize) -> String {
    format!("{text}{}", " ".repeat(columns.saturating_sub(width(text))))
}

/// `text` after blanks up to `columns` (as `{:>N}` does for ASCII).
pub fn pad_start(text: &str, columns: usize) -> String {
    format!("{}{text}", " ".repeat(columns.saturating_sub(width(text))))
}
