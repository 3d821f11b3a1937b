//! The run journal: every step of every run appended as one JSON line to
//! `STORE/journal/RUN.jsonl` — run id, runbook and its sha256, server, primitive,
//! arguments (file contents and long values only by size and sha256, the values of
//! secret-looking parameters masked), result and times, under a size cap.
//! A failed run is resumed from it, and its report is the evidence for a change record.

use std::collections::{BTreeMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::now;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    Start {
        run: String,
        runbook: String,
        origin: String,
        sha256: String,
        params: BTreeMap<String, String>,
        site: String,
        user: String,
        dry_run: bool,
        resumed_from: Option<String>,
        at: String,
        /// The process and machine that ran it: whose run a left-over stop was.
        #[serde(default)]
        pid: u32,
        #[serde(default)]
        host: String,
        /// The site's identity (see `Site::id`).
        #[serde(default)]
        site_id: String,
    },
    Step {
        seq: usize,
        server: Option<String>,
        primitive: String,
        args: Vec<String>,
        /// `ok`, `replayed` (done by the run being resumed), `refused` or `failed`.
        result: String,
        value: Option<String>,
        error: Option<String>,
        started: String,
        ended: String,
    },
    Override {
        text: String,
        at: String,
    },
    End {
        status: String,
        error: Option<String>,
        at: String,
    },
    /// A server's Interstage going down or up under this run, written (and synced to
    /// disk) before the stop command runs: `stopping`, `started`, `down` (left down on
    /// purpose), `adopted` (a resumed run took over a stop of the run it resumes, which
    /// records `handed-over`), or `acknowledged` (the operator said a dead run's stop
    /// stays).
    Outage {
        server: String,
        event: String,
        at: String,
    },
    /// Evidence: a changing action as kuroko was about to do it, with the runbook's step
    /// (number and narration), the server's state then (事前確認) and the rules checked.
    Action {
        step: usize,
        /// The primitive call (its `Step` entry's `seq`) the action belongs to: its result
        /// is the action's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call: Option<usize>,
        narration: String,
        server: String,
        /// In English: the action's identity.
        action: String,
        /// In the operator's language, when that is not English.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        shown: String,
        rules: Vec<String>,
        before: String,
        at: String,
    },
    /// Evidence: a server's state read at the end of the run (事後確認); with an empty
    /// `server`, the group membership.
    Observed {
        server: String,
        state: String,
        at: String,
    },
    /// The approved plan this run ran: its file, sha256, author(s) and approver(s).
    Plan {
        path: String,
        sha256: String,
        authors: Vec<String>,
        approvers: Vec<String>,
    },
}

/// The longest argument, value or server name a journal keeps as it is. Longer ones, and
/// file contents whatever their size, appear only as `<N bytes, sha256 HEX>`.
pub const VALUE_BOUND: usize = 256;
/// The same for error texts and overrides (a refusal names its rule, reason and remedy).
pub const TEXT_BOUND: usize = 1024;
/// The most one admitted step (with the overrides it records) adds to a journal: a step is
/// admitted only while this much of the cap is left.
pub const STEP_RESERVE: u64 = 8 * 1024;
/// The longest step line (far below `STEP_RESERVE`: every field is bounded already).
const STEP_LINE: usize = 4 * 1024;
/// The default cap of a run's journal (`[limits] journal_bytes`).
pub const DEFAULT_CAP: u64 = 64 << 20;
/// Primitives whose value is a file's content: journalled only by size and sha256.
const CONTENT_VALUES: &[&str] = &["read_file"];

pub struct Journal {
    pub run: String,
    pub path: PathBuf,
    writer: Mutex<Writer>,
    seq: AtomicUsize,
    /// The values of secret parameters, as given and as Rhai's debug text shows them,
    /// longest first: masked as `***` wherever they appear.
    secrets: Vec<String>,
    /// Bytes the journal may hold; only the end entry is written beyond it.
    cap: u64,
    /// Set once a step was refused for the cap: the run fails even if the script went on.
    full: AtomicBool,
    /// Set once an entry could not be written: no further change is made.
    broken: AtomicBool,
    /// File contents this run read (the recent ones): a text that holds one is shown by
    /// size and sha256 only, wherever it appears (a narration, an argument).
    contents: Mutex<VecDeque<String>>,
}

/// How many read contents are remembered, and the shortest that counts.
const CONTENTS_KEPT: usize = 64;
const CONTENT_MIN: usize = 4;

struct Writer {
    file: File,
    written: u64,
    /// Steps admitted and still running, each holding `STEP_RESERVE` bytes.
    reserved: u64,
}

/// The largest journal kuroko reads back (far above the default cap).
pub const MAX_READ: u64 = 256 << 20;

/// A step admitted under the cap; its room is given back when it is dropped.
pub struct Admission<'a>(&'a Journal);

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        let mut writer = self.0.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.reserved = writer.reserved.saturating_sub(1);
    }
}

/// Whether a parameter's name says it holds a secret.
pub fn is_secret(name: &str) -> bool {
    let lower = name.to_lowercase();
    ["pass", "secret", "token", "key", "credential"].iter().any(|w| lower.contains(w))
}

/// Parameters whose names look like secrets are never written down.
pub fn mask_params(params: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    params
        .iter()
        .map(|(k, v)| (k.clone(), if is_secret(k) { "***".to_string() } else { v.clone() }))
        .collect()
}

/// The values of the secret parameters among `params`, for `Journal::create`.
pub fn secret_values(params: &BTreeMap<String, String>) -> Vec<String> {
    params.iter().filter(|(k, _)| is_secret(k)).map(|(_, v)| v.clone()).collect()
}

/// `<N bytes, sha256 HEX>`: how the journal shows a file's content or a long value.
pub fn digest(text: &str) -> String {
    let hash: String = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("<{} bytes, sha256 {hash}>", text.len())
}

/// Whether a journalled value stands for one the journal did not keep (`<N bytes, …>`):
/// it cannot be replayed.
pub fn elided(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return false;
    };
    inner
        .split_once(" bytes")
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The length of `text` once written as a JSON string (without its quotes).
fn json_len(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum()
}

/// A primitive's argument, as the journal shows it.
pub trait Arg {
    /// Its text, and whether it is a string (shown quoted).
    fn text(&self) -> (std::borrow::Cow<'_, str>, bool);
}

impl Arg for &str {
    fn text(&self) -> (std::borrow::Cow<'_, str>, bool) {
        ((*self).into(), true)
    }
}

impl Arg for i64 {
    fn text(&self) -> (std::borrow::Cow<'_, str>, bool) {
        (self.to_string().into(), false)
    }
}

impl Arg for rhai::Map {
    fn text(&self) -> (std::borrow::Cow<'_, str>, bool) {
        (format!("{self:?}").into(), false)
    }
}

impl Journal {
    pub fn dir(store: &Path) -> PathBuf {
        store.join("journal")
    }

    /// Opens a new journal for a run and writes its start entry. `secrets` are the values
    /// of the run's secret parameters, masked wherever they appear; `cap` bounds its size.
    pub fn create(store: &Path, start: Entry, secrets: &[String], cap: u64) -> Result<Journal> {
        let Entry::Start { run, .. } = &start else { unreachable!("a journal starts with Start") };
        let dir = Journal::dir(store);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let path = dir.join(format!("{run}.jsonl"));
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        // The new journal's name is made durable too: a write-ahead record in a file that
        // a power loss forgets is no record.
        File::open(&dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(&dir, e))?;
        let mut forms: Vec<String> = Vec::new();
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            let debug = format!("{secret:?}");
            let debug = debug[1..debug.len() - 1].to_string();
            forms.push(secret.clone());
            if debug != *secret {
                forms.push(debug);
            }
        }
        forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
        forms.dedup();
        // The terminal masks them too.
        crate::error::hide(&forms);
        let journal = Journal {
            run: run.clone(),
            path,
            writer: Mutex::new(Writer { file, written: 0, reserved: 0 }),
            seq: AtomicUsize::new(0),
            secrets: forms,
            cap,
            full: AtomicBool::new(false),
            broken: AtomicBool::new(false),
            contents: Mutex::new(VecDeque::new()),
        };
        journal.append(&journal.clean(start))?;
        Ok(journal)
    }

    pub fn next_seq(&self) -> usize {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Admits one step under the journal's cap, before it does anything; refused when
    /// the journal is too full to record it.
    pub fn admit(&self, primitive: &str) -> Result<Admission<'_>> {
        self.writable()?;
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if writer.written + (writer.reserved + 1) * STEP_RESERVE > self.cap {
            self.full.store(true, Ordering::SeqCst);
            return Err(self.full_error(Some(primitive)));
        }
        writer.reserved += 1;
        Ok(Admission(self))
    }

    /// An error once an entry could not be written: a run whose changes cannot be
    /// recorded makes no further change.
    pub fn writable(&self) -> Result<()> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(Error::Other(anyhow::anyhow!(crate::msg!(
                "cmd-journal-broken",
                path = self.path.display()
            ))));
        }
        Ok(())
    }

    /// Records, durably (synced to disk), that `server` is going down or came up, before
    /// the command that does it. An error means the outage is not recorded: a stop must
    /// not run then.
    pub fn outage(&self, server: &str, event: &str) -> Result<()> {
        self.writable()?;
        let entry = self.clean(Entry::Outage {
            server: server.to_string(),
            event: event.to_string(),
            at: now(),
        });
        self.append(&entry)?;
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.file.sync_data().map_err(|e| {
            self.broken.store(true, Ordering::SeqCst);
            Error::io(&self.path, e)
        })
    }

    /// The cap error, once a step was refused for it.
    pub fn overflowed(&self) -> Option<Error> {
        self.full.load(Ordering::SeqCst).then(|| self.full_error(None))
    }

    fn full_error(&self, primitive: Option<&str>) -> Error {
        let path = self.path.display();
        Error::Other(anyhow::anyhow!(match primitive {
            Some(primitive) => crate::msg!(
                "cmd-journal-full-refused",
                path = path,
                cap = self.cap,
                primitive = primitive
            ),
            None => crate::msg!("cmd-journal-full", path = path, cap = self.cap),
        }))
    }

    /// `text` with every secret masked, and whether it held one.
    fn redact(&self, text: &str) -> (String, bool) {
        let mut out = text.to_string();
        let mut found = false;
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
                found = true;
            }
        }
        (out, found)
    }

    /// How `raw` appears in the journal: secrets masked, and only its size and sha256 when
    /// it is a file's content or longer than `bound` (no sha256 if it holds a secret,
    /// which the hash would let anyone guess).
    fn show(&self, raw: &str, quoted: bool, content: bool, bound: usize) -> String {
        let content = content
            || self
                .contents
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|c| raw.contains(c.as_str()));
        let (clean, secret) = self.redact(raw);
        let long = clean.len() > bound;
        let shown = if quoted && !long { format!("{clean:?}") } else { clean };
        if content || long || json_len(&shown) > bound {
            if secret {
                format!("<{} bytes, sha256 withheld: it holds a secret>", raw.len())
            } else {
                digest(raw)
            }
        } else {
            shown
        }
    }

    /// Whether `text` holds the value of a secret parameter.
    pub fn holds_secret(&self, text: &str) -> bool {
        self.redact(text).1
    }

    /// A primitive's argument as the journal shows it: an argument named `text` is a
    /// file's content.
    pub fn arg(&self, name: &str, value: &impl Arg) -> String {
        let (text, quoted) = value.text();
        self.show(&text, quoted, name == "text", VALUE_BOUND)
    }

    /// The entry as it is written: secrets masked, file contents and long texts by size
    /// and sha256 only. Every entry goes through here.
    fn clean(&self, entry: Entry) -> Entry {
        let text = |t: String, bound: usize| self.show(&t, false, false, bound);
        match entry {
            Entry::Start {
                run,
                runbook,
                origin,
                sha256,
                params,
                site,
                user,
                dry_run,
                resumed_from,
                at,
                pid,
                host,
                site_id,
            } => Entry::Start {
                run,
                runbook: text(runbook, VALUE_BOUND),
                origin: text(origin, TEXT_BOUND),
                sha256,
                params: params
                    .into_iter()
                    .map(|(k, v)| (text(k, VALUE_BOUND), text(v, VALUE_BOUND)))
                    .collect(),
                site,
                user,
                dry_run,
                resumed_from,
                at,
                pid,
                host: text(host, VALUE_BOUND),
                site_id,
            },
            Entry::Step { seq, server, primitive, args, result, value, error, started, ended } => {
                let content = CONTENT_VALUES.contains(&primitive.as_str());
                if let Some(read) = value.as_ref().filter(|v| content && v.len() >= CONTENT_MIN) {
                    let mut contents = self.contents.lock().unwrap_or_else(|e| e.into_inner());
                    if contents.len() == CONTENTS_KEPT {
                        contents.pop_front();
                    }
                    // Only so much of a large file is looked for (its start).
                    let end = (0..=read.len().min(64 << 10))
                        .rev()
                        .find(|&i| read.is_char_boundary(i))
                        .unwrap_or(0);
                    contents.push_back(read[..end].to_string());
                }
                let mut args: Vec<String> =
                    args.into_iter().map(|a| text(a, VALUE_BOUND)).collect();
                // Only this many arguments fit in a step line; no primitive takes more.
                if args.iter().map(|a| json_len(a) + 3).sum::<usize>() > STEP_LINE / 2 {
                    args = vec![digest(&args.join(", "))];
                }
                Entry::Step {
                    seq,
                    server: server.map(|s| text(s, VALUE_BOUND)),
                    primitive: text(primitive, VALUE_BOUND),
                    args,
                    result,
                    // A value shaped like an elided one is elided, so that resuming never
                    // mistakes one for the other.
                    value: value.map(|v| self.show(&v, false, content || elided(&v), VALUE_BOUND)),
                    error: error.map(|e| text(e, TEXT_BOUND)),
                    started,
                    ended,
                }
            }
            Entry::Override { text: t, at } => Entry::Override { text: text(t, TEXT_BOUND), at },
            Entry::End { status, error, at } => {
                Entry::End { status, error: error.map(|e| text(e, TEXT_BOUND)), at }
            }
            // Verbatim: a server's name is an identifier the next kuroko must find again
            // (never masked as a secret or cut short); site names are checked already.
            outage @ Entry::Outage { .. } => outage,
            Entry::Action { step, call, narration, server, action, shown, rules, before, at } => {
                Entry::Action {
                    step,
                    call,
                    narration: text(narration, TEXT_BOUND),
                    server,
                    action: text(action, TEXT_BOUND),
                    shown: text(shown, TEXT_BOUND),
                    rules,
                    before: text(before, VALUE_BOUND),
                    at,
                }
            }
            Entry::Observed { server, state, at } => {
                Entry::Observed { server, state: text(state, TEXT_BOUND), at }
            }
            Entry::Plan { path, sha256, authors, approvers } => Entry::Plan {
                path: text(path, TEXT_BOUND),
                sha256,
                authors: authors.into_iter().map(|a| text(a, VALUE_BOUND)).collect(),
                approvers: approvers.into_iter().map(|a| text(a, VALUE_BOUND)).collect(),
            },
        }
    }

    fn append(&self, entry: &Entry) -> Result<()> {
        let mut line = serde_json::to_string(entry).expect("entries serialise");
        line.push('\n');
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.file.write_all(line.as_bytes()).and_then(|_| writer.file.flush()).map_err(|e| {
            self.broken.store(true, Ordering::SeqCst);
            Error::io(&self.path, e)
        })?;
        writer.written += line.len() as u64;
        Ok(())
    }

    /// Records a step (or an override, or the end): every entry is cleaned first.
    pub fn step(&self, entry: Entry) {
        // A journal that cannot be written must not go unnoticed, but the step happened.
        if let Err(e) = self.append(&self.clean(entry)) {
            crate::tell!("{}", crate::msg!("cmd-journal-write-warning", error = e));
        }
    }

    /// The end entry: always written, within a small reserve above the cap.
    pub fn end(&self, status: &str, error: Option<String>) {
        self.step(Entry::End { status: status.to_string(), error, at: now() });
    }
}

/// Reads a run's journal back.
pub fn read(store: &Path, run: &str) -> Result<Vec<Entry>> {
    if run.is_empty() || run.contains('/') || run.starts_with('.') {
        return Err(Error::Usage(crate::msg!("cmd-journal-not-run-id", run = run)));
    }
    let path = Journal::dir(store).join(format!("{run}.jsonl"));
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(Error::Usage(crate::msg!(
            "cmd-journal-missing",
            run = run,
            folder = Journal::dir(store).display()
        )));
    }
    // Only a regular file, never through a link, and bounded: what is read here comes
    // from a store anyone with access could have written.
    let file = crate::archive::open_regular(&path, MAX_READ)
        .map_err(|e| Error::Usage(crate::msg!("cmd-journal-unusable", run = run, error = e)))?;
    let mut entries = Vec::new();
    let lines: Vec<String> = BufReader::new(file)
        .split(b'\n')
        .map(|l| l.map(|b| String::from_utf8_lossy(&b).into_owned()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(&path, e))?;
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(entry) => entries.push(entry),
            // A last line cut short is what a kill or a full disk leaves: the run ended
            // there, unfinished.
            Err(_) if Some(index) == last => {
                let _ = writeln!(
                    std::io::stderr(),
                    "{}",
                    crate::msg!("cmd-journal-cut-short", path = path.display(), line = index + 1)
                );
            }
            Err(e) => {
                return Err(Error::Other(anyhow::anyhow!(crate::msg!(
                    "cmd-journal-damaged",
                    path = path.display(),
                    line = index + 1,
                    error = e
                ))));
            }
        }
    }
    Ok(entries)
}

/// Every run in the store's journal, oldest first: (run, runbook, status).
pub fn runs(store: &Path) -> Vec<(String, String, String)> {
    let Ok(dir) = std::fs::read_dir(Journal::dir(store)) else { return Vec::new() };
    let mut found: Vec<(String, String, String, String)> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".jsonl").map(str::to_string))
        .filter_map(|run| {
            let entries = read(store, &run).ok()?;
            let (runbook, at) = entries.iter().find_map(|e| match e {
                Entry::Start { runbook, at, .. } => Some((runbook.clone(), at.clone())),
                _ => None,
            })?;
            Some((at, run, runbook, status_of(&entries)))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, run, runbook, status)| (run, runbook, status)).collect()
}

/// `completed`, `failed`, `interrupted`, or `unfinished` when the journal has no end.
pub fn status_of(entries: &[Entry]) -> String {
    entries
        .iter()
        .rev()
        .find_map(|e| match e {
            Entry::End { status, .. } => Some(status.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "unfinished".to_string())
}

/// A changing step an earlier run did, which its resumption does not do again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub primitive: String,
    pub args: Vec<String>,
    pub value: Option<String>,
}

/// The changing steps of `entries` that succeeded.
pub fn done_steps(entries: &[Entry]) -> Vec<Done> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Step { primitive, args, result, value, .. }
                if (result == "ok" || result == "replayed")
                    && crate::primitives::docs::find(primitive).is_some_and(|d| d.changes) =>
            {
                Some(Done {
                    primitive: primitive.clone(),
                    args: args.clone(),
                    value: value.clone(),
                })
            }
            _ => None,
        })
        .collect()
}

/// What a journalled step returns, so a resumed run can replay it.
pub trait Record: Sized {
    fn record(&self) -> Option<String> {
        None
    }
    fn from_record(_: Option<&str>) -> Option<Self> {
        None
    }
}

impl Record for () {
    fn from_record(_: Option<&str>) -> Option<Self> {
        Some(())
    }
}

impl Record for String {
    fn record(&self) -> Option<String> {
        Some(self.clone())
    }
    fn from_record(value: Option<&str>) -> Option<Self> {
        value.map(str::to_string)
    }
}

impl Record for bool {
    fn record(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl Record for rhai::Array {}
impl Record for rhai::Map {}
impl Record for rhai::Dynamic {}

/// A Markdown or HTML report of a run, its headings and fixed texts in the operator's
/// language; what the journal recorded (statuses, results, states) is shown as recorded.
pub fn report(entries: &[Entry], html: bool) -> String {
    use crate::msg;
    let mut rows = Vec::new();
    let mut head = Vec::new();
    let mut actions: Vec<&Entry> = Vec::new();
    // Each primitive call's result, by its number: an action is done when its call was.
    let mut results: BTreeMap<usize, String> = BTreeMap::new();
    let mut observed: BTreeMap<String, (String, String)> = BTreeMap::new();
    // The first end entry's status (a run closed later by another has a second one).
    let mut status: Option<String> = None;
    for entry in entries {
        match entry {
            Entry::Start {
                run,
                runbook,
                origin,
                sha256,
                params,
                site,
                user,
                dry_run,
                resumed_from,
                at,
                pid,
                host,
                ..
            } => {
                head.push((msg!("cmd-report-run"), run.clone()));
                head.push((msg!("cmd-report-runbook"), format!("{runbook} ({origin})")));
                head.push((msg!("cmd-report-runbook-sha256"), sha256.clone()));
                head.push((msg!("cmd-report-site"), site.clone()));
                head.push((msg!("cmd-report-operator"), user.clone()));
                if !host.is_empty() {
                    head.push((msg!("cmd-report-controller"), format!("{host} (pid {pid})")));
                }
                head.push((msg!("cmd-report-started"), at.clone()));
                let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                head.push((
                    msg!("cmd-report-parameters"),
                    if params.is_empty() { "-".into() } else { params.join(", ") },
                ));
                if *dry_run {
                    head.push((msg!("cmd-report-mode"), msg!("cmd-report-dry-run")));
                }
                if let Some(from) = resumed_from {
                    head.push((msg!("cmd-report-resumes"), from.clone()));
                }
            }
            Entry::Step { seq, server, primitive, args, result, value, error, started, ended } => {
                results.insert(*seq, result.clone());
                let detail = error.clone().or_else(|| value.clone()).unwrap_or_default();
                rows.push(vec![
                    seq.to_string(),
                    started.clone(),
                    ended.clone(),
                    server.clone().unwrap_or_else(|| "-".into()),
                    format!("{primitive}({})", args.join(", ")),
                    result.clone(),
                    detail.lines().next().unwrap_or_default().to_string(),
                ]);
            }
            Entry::Override { text, at } => {
                head.push((msg!("cmd-report-override-at", at = at), text.clone()))
            }
            Entry::Outage { server, event, at } => rows.push(vec![
                "-".into(),
                at.clone(),
                at.clone(),
                server.clone(),
                match event.as_str() {
                    "stopping" => msg!("cmd-report-event-stopping"),
                    "started" => msg!("cmd-report-event-started"),
                    "down" => msg!("cmd-report-event-down"),
                    "adopted" => msg!("cmd-report-event-adopted"),
                    "acknowledged" => msg!("cmd-report-event-acknowledged"),
                    other => format!("Interstage {other}"),
                },
                msg!("cmd-report-outage"),
                String::new(),
            ]),
            Entry::Action { .. } => actions.push(entry),
            Entry::Observed { server, state, at } => {
                observed.insert(server.clone(), (state.clone(), at.clone()));
            }
            Entry::Plan { path, sha256, authors, approvers } => {
                head.push((msg!("cmd-report-plan"), format!("{path} (sha256 {sha256})")));
                head.push((msg!("cmd-report-author"), authors.join(", ")));
                head.push((msg!("cmd-report-approver"), approvers.join(", ")));
            }
            Entry::End { status: ended, error, at } => {
                head.push((msg!("cmd-report-ended"), at.clone()));
                head.push((msg!("cmd-report-status"), ended.clone()));
                status.get_or_insert_with(|| ended.clone());
                if let Some(error) = error {
                    head.push((
                        msg!("cmd-report-error"),
                        error.lines().next().unwrap_or_default().to_string(),
                    ));
                }
            }
        }
    }
    if status.is_none() {
        head.push((msg!("cmd-report-status"), msg!("cmd-report-unfinished")));
    }
    let (step, server, started, ended) = (
        msg!("cmd-report-step"),
        msg!("cmd-report-server"),
        msg!("cmd-report-started"),
        msg!("cmd-report-ended"),
    );
    let (result, detail) = (msg!("cmd-report-result"), msg!("cmd-report-detail"));
    let columns = ["#", &*started, &*ended, &*server, &*step, &*result, &*detail];
    // The evidence: each action with the state observed before it and after it (the next
    // action's "before" on that server, else what was read at the end of the run).
    // Named as the plan names them (its rows are what this table gives evidence of).
    let evidence_headings = [
        msg!("cmd-report-time"),
        msg!("plan-col-step"),
        msg!("plan-col-server"),
        msg!("plan-col-before"),
        msg!("plan-col-action"),
        msg!("plan-col-after"),
        msg!("plan-col-rules"),
        msg!("plan-col-tick"),
    ];
    let evidence_columns: Vec<&str> =
        std::iter::once("#").chain(evidence_headings.iter().map(String::as_str)).collect();
    let mut evidence: Vec<Vec<String>> = Vec::new();
    for (index, entry) in actions.iter().enumerate() {
        let Entry::Action { step, call, narration, server, action, shown, rules, before, at } =
            entry
        else {
            continue;
        };
        let next = actions[index + 1..].iter().find_map(|e| match e {
            Entry::Action { server: s, before, .. } if s == server => Some(before.clone()),
            _ => None,
        });
        let last = index + 1 == actions.len();
        let (after, mut done) = match (next, observed.get(server)) {
            _ if server == crate::plan::NO_SERVER => (server.clone(), "☑".to_string()),
            (Some(after), _) => (after, "☑".to_string()),
            (None, Some((state, _))) => {
                let done =
                    if last && status.as_deref() != Some("completed") { "☐" } else { "☑" };
                (state.clone(), done.to_string())
            }
            (None, None) => (msg!("cmd-report-not-read"), "☐".to_string()),
        };
        // Ticked only when the call that made the change succeeded (journals written
        // before calls were numbered are judged by what came after, as above).
        match call.and_then(|call| results.get(&call)).map(String::as_str) {
            Some("ok" | "replayed") => done = "☑".to_string(),
            Some(other) => done = format!("☐ {other}"),
            None if call.is_some() => done = "☐".to_string(),
            None => {}
        }
        evidence.push(vec![
            (index + 1).to_string(),
            at.clone(),
            format!("{step}. {narration}"),
            server.clone(),
            before.clone(),
            if shown.is_empty() { action.clone() } else { shown.clone() },
            after,
            rules.join(", "),
            done,
        ]);
    }
    if let Some((groups, at)) = observed.get("") {
        head.push((msg!("cmd-report-groups-at-end", at = at), groups.clone()));
    }
    let (title, steps, evidence_title) =
        (msg!("cmd-report-title"), msg!("cmd-report-steps"), msg!("cmd-report-evidence"));
    // Each server's outages: from its stop to its start, as the journal recorded them.
    let mut outages: Vec<Vec<String>> = Vec::new();
    let mut down: BTreeMap<&str, &str> = BTreeMap::new();
    for entry in entries {
        if let Entry::Outage { server, event, at } = entry {
            match event.as_str() {
                "stopping" | "adopted" => {
                    down.insert(server, at);
                }
                "started" => {
                    if let Some(since) = down.remove(server.as_str()) {
                        let seconds = humantime::parse_rfc3339_weak(since.trim_end_matches('Z'))
                            .ok()
                            .zip(humantime::parse_rfc3339_weak(at.trim_end_matches('Z')).ok())
                            .and_then(|(from, to)| to.duration_since(from).ok())
                            .map(|d| format!("{:.2}", d.as_secs_f64()))
                            .unwrap_or_else(|| "-".into());
                        outages.push(vec![server.clone(), since.to_string(), at.clone(), seconds]);
                    }
                }
                _ => {}
            }
        }
    }
    for (server, since) in down {
        outages.push(vec![server.to_string(), since.to_string(), "-".into(), "-".into()]);
    }
    let outages_title = msg!("cmd-report-outages");
    let outage_headings = [
        msg!("cmd-column-server"),
        msg!("cmd-report-outage-from"),
        msg!("cmd-report-outage-to"),
        msg!("cmd-report-outage-seconds"),
    ];
    let outage_columns: Vec<&str> = outage_headings.iter().map(String::as_str).collect();
    if html {
        let esc = crate::plan::html_escape;
        let lang = match crate::i18n::lang() {
            crate::i18n::Lang::Ja => "ja",
            crate::i18n::Lang::En => "en",
        };
        let title = esc(&title);
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title>\n\
             <style>@page {{ size: A4 landscape; margin: 12mm; }} body {{ font-family: sans-serif; font-size: 9pt; }}\n\
             table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #444; padding: 2px 4px; vertical-align: top; text-align: left; }}\n\
             td.long {{ overflow-wrap: anywhere; }} th {{ background: #eee; }} tr {{ page-break-inside: avoid; }}</style></head><body>\n<h1>{title}</h1>\n<table>\n",
        );
        for (k, v) in &head {
            out.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>\n", esc(k), esc(v)));
        }
        out.push_str("</table>\n");
        let mut table = |title: &str, columns: &[&str], rows: &[Vec<String>]| {
            out.push_str(&format!("<h2>{}</h2>\n<table border=\"1\">\n<tr>", esc(title)));
            for c in columns {
                out.push_str(&format!("<th>{}</th>", esc(c)));
            }
            out.push_str("</tr>\n");
            for row in rows {
                out.push_str("<tr>");
                for cell in row {
                    // A hash or an id may break anywhere; short words keep whole.
                    let long = cell.split_whitespace().any(|word| word.chars().count() > 24);
                    let class = if long { " class=long" } else { "" };
                    out.push_str(&format!("<td{class}>{}</td>", esc(cell)));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</table>\n");
        };
        table(&steps, &columns, &rows);
        if !outages.is_empty() {
            table(&outages_title, &outage_columns, &outages);
        }
        if !evidence.is_empty() {
            table(&evidence_title, &evidence_columns, &evidence);
        }
        out.push_str("</body></html>\n");
        out
    } else {
        let cell = crate::plan::cell;
        let mut out = format!("# {title}\n\n");
        for (k, v) in &head {
            out.push_str(&format!("- **{k}**: {}\n", cell(v)));
        }
        let mut table = |title: &str, columns: &[&str], rows: &[Vec<String>]| {
            out.push_str(&format!(
                "\n## {title}\n\n| {} |\n|{}\n",
                columns.join(" | "),
                "---|".repeat(columns.len())
            ));
            for row in rows {
                let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
        };
        table(&steps, &columns, &rows);
        if !outages.is_empty() {
            table(&outages_title, &outage_columns, &outages);
        }
        if !evidence.is_empty() {
            table(&evidence_title, &evidence_columns, &evidence);
        }
        out
    }
}

/// A server a run stopped and did not start again, from its journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftStopped {
    pub server: String,
    /// When the stop was recorded.
    pub at: String,
    /// Whether a `stop_interstage` step of the run finished after it (the runbook meant it
    /// stopped), rather than a primitive cut short in the middle (backup, restore…).
    pub by_step: bool,
}

/// The servers `entries` stopped and left stopped: the last outage event recorded for
/// them is a stop (or a resumed run's adoption of one), not a start or `down`.
pub fn left_stopped(entries: &[Entry]) -> Vec<LeftStopped> {
    let mut last: BTreeMap<&str, (usize, &str, &str)> = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        if let Entry::Outage { server, event, at } = entry {
            last.insert(server, (index, event, at));
        }
    }
    last.into_iter()
        .filter(|(_, (_, event, _))| matches!(*event, "stopping" | "adopted"))
        .map(|(server, (index, _, at))| LeftStopped {
            server: server.to_string(),
            at: at.to_string(),
            by_step: entries[index..].iter().any(|e| {
                matches!(e, Entry::Step { primitive, server: Some(s), result, .. }
                    if primitive == "stop_interstage" && s == server && (result == "ok" || result == "replayed"))
            }) || entries[index..].iter().any(|e| matches!(e, Entry::Outage { event, server: s, .. } if event == "adopted" && s == server)),
        })
        .collect()
}

/// A run that did not complete (killed, its machine went down, or it failed and R11
/// could not start everything again) and left servers stopped.
#[derive(Debug, Clone)]
pub struct Abandoned {
    pub run: String,
    pub runbook: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub at: String,
    pub servers: Vec<LeftStopped>,
}

impl Abandoned {
    /// Who ran it, for messages: `run R of RUNBOOK by USER on HOST (pid N), started T`.
    pub fn describe(&self) -> String {
        crate::error::sanitize(&crate::msg!(
            "cmd-journal-describe",
            run = self.run,
            runbook = self.runbook,
            user = self.user,
            host = self.host,
            pid = self.pid,
            at = self.at
        ))
    }
}

/// Every run of `site` (its journals' site label and id; any site for `None`) in the store's journal that did not
/// complete and left servers stopped, except `live` (the run holding the site lock now,
/// whose stops are its own business).
pub fn abandoned(store: &Path, live: Option<&str>, site: Option<(&str, &str)>) -> Vec<Abandoned> {
    let Ok(dir) = std::fs::read_dir(Journal::dir(store)) else { return Vec::new() };
    let mut found: Vec<Abandoned> = dir
        .flatten()
        .filter_map(|e| {
            e.file_name().to_str().and_then(|n| n.strip_suffix(".jsonl")).map(str::to_string)
        })
        .filter(|run| Some(run.as_str()) != live)
        .filter_map(|run| {
            let entries = read_quietly(store, &run)?;
            // A run that completed left stopped only what its runbook meant to (and was
            // warned of); one that died, failed or was interrupted left what R11 could
            // not start again.
            if status_of(&entries) == "completed" {
                return None;
            }
            let Some(Entry::Start { runbook, user, host, pid, at, site: label, site_id, .. }) =
                entries.first()
            else {
                return None;
            };
            // Another site sharing this store keeps its own.
            if site.is_some_and(|site| !belongs(label, site_id, site)) {
                return None;
            }
            let servers = left_stopped(&entries);
            if servers.is_empty() {
                return None;
            }
            Some(Abandoned {
                run,
                runbook: runbook.clone(),
                user: user.clone(),
                host: host.clone(),
                pid: *pid,
                at: at.clone(),
                servers,
            })
        })
        .collect();
    found.sort_by(|a, b| a.at.cmp(&b.at));
    found
}

/// Journals the scan for dead runs cannot read (not a regular file, over `MAX_READ`, or
/// without a start entry): what their runs left stopped cannot be told.
pub fn unreadable(store: &Path) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(Journal::dir(store)) else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| {
            let run = e.file_name().to_str()?.strip_suffix(".jsonl")?.to_string();
            let readable = read_quietly(store, &run)
                .is_some_and(|entries| matches!(entries.first(), Some(Entry::Start { .. })));
            (!readable).then(|| e.path())
        })
        .collect()
}

/// Whether a journal with this site label and id is the site's `(label, id)`: by id,
/// or by label for journals written before sites had one.
pub fn belongs(label: &str, id: &str, site: (&str, &str)) -> bool {
    if id.is_empty() { label == site.0 } else { id == site.1 }
}

/// A journal read without its warnings and past damaged lines (a scan of every run), or
/// nothing if it is not a regular file within bounds.
pub fn read_quietly(store: &Path, run: &str) -> Option<Vec<Entry>> {
    use std::io::Read;
    let path = Journal::dir(store).join(format!("{run}.jsonl"));
    let mut text = Vec::new();
    crate::archive::open_regular(&path, MAX_READ).ok()?.read_to_end(&mut text).ok()?;
    Some(
        text.split(|b| *b == b'\n')
            .filter_map(|line| serde_json::from_slice::<Entry>(line).ok())
            .collect(),
    )
}

/// Closes the journal of a run that cannot close it itself (it died, or ended with
/// servers stopped): appends `events` (server, outage event) and, when `status` is
/// given, an end entry. A last line cut short by a death is removed first, so that it
/// stays the only damage a journal has.
pub fn close_for(
    store: &Path,
    run: &str,
    events: &[(String, String)],
    status: Option<&str>,
) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::OpenOptionsExt;
    let path = Journal::dir(store).join(format!("{run}.jsonl"));
    crate::archive::open_regular(&path, MAX_READ).map_err(|e| {
        Error::Other(anyhow::anyhow!(crate::msg!("cmd-journal-cannot-close", run = run, error = e)))
    })?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    let mut text = Vec::new();
    file.read_to_end(&mut text).map_err(|e| Error::io(&path, e))?;
    let keep = text.iter().rposition(|b| *b == b'\n').map(|i| i + 1).unwrap_or(0);
    file.set_len(keep as u64).map_err(|e| Error::io(&path, e))?;
    file.seek(SeekFrom::End(0)).map_err(|e| Error::io(&path, e))?;
    let mut lines = String::new();
    for (server, event) in events {
        let entry = Entry::Outage { server: server.clone(), event: event.clone(), at: now() };
        lines.push_str(&serde_json::to_string(&entry).expect("entries serialise"));
        lines.push('\n');
    }
    if let Some(status) = status {
        let entry = Entry::End { status: status.to_string(), error: None, at: now() };
        lines.push_str(&serde_json::to_string(&entry).expect("entries serialise"));
        lines.push('\n');
    }
    file.write_all(lines.as_bytes()).and_then(|_| file.sync_data()).map_err(|e| Error::io(&path, e))
}
