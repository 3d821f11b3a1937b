//! The run journal: every step of every run appended as one JSON line to
//! `STORE/journal/RUN.jsonl` — run id, runbook and its sha256, server, primitive,
//! arguments (with file contents and secret-looking parameters masked), result and times.
//! A failed run is resumed from it, and its report is the evidence for a change record.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

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
}

pub struct Journal {
    pub run: String,
    pub path: PathBuf,
    file: Mutex<File>,
    seq: AtomicUsize,
}

/// Parameters whose names look like secrets are never written down.
pub fn mask_params(params: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    params
        .iter()
        .map(|(k, v)| {
            let lower = k.to_lowercase();
            let secret =
                ["pass", "secret", "token", "key", "credential"].iter().any(|w| lower.contains(w));
            (k.clone(), if secret { "***".to_string() } else { v.clone() })
        })
        .collect()
}

/// How an argument appears in the journal: file contents only by size.
pub fn show_arg(name: &str, text: String) -> String {
    if name == "text" { format!("<{} bytes>", text.len()) } else { text }
}

impl Journal {
    pub fn dir(store: &Path) -> PathBuf {
        store.join("journal")
    }

    /// Opens a new journal for a run and writes its start entry.
    pub fn create(store: &Path, start: Entry) -> Result<Journal> {
        let Entry::Start { run, .. } = &start else { unreachable!("a journal starts with Start") };
        let dir = Journal::dir(store);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let path = dir.join(format!("{run}.jsonl"));
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let journal =
            Journal { run: run.clone(), path, file: Mutex::new(file), seq: AtomicUsize::new(0) };
        journal.append(&start)?;
        Ok(journal)
    }

    pub fn next_seq(&self) -> usize {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn append(&self, entry: &Entry) -> Result<()> {
        let mut line = serde_json::to_string(entry).expect("entries serialise");
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes())
            .and_then(|_| file.flush())
            .map_err(|e| Error::io(&self.path, e))
    }

    pub fn step(&self, entry: Entry) {
        // A journal that cannot be written must not go unnoticed, but the step happened.
        if let Err(e) = self.append(&entry) {
            eprintln!("warning: cannot write the journal: {e}");
        }
    }

    pub fn end(&self, status: &str, error: Option<String>) {
        self.step(Entry::End { status: status.to_string(), error, at: now() });
    }
}

/// Reads a run's journal back.
pub fn read(store: &Path, run: &str) -> Result<Vec<Entry>> {
    if run.is_empty() || run.contains('/') || run.starts_with('.') {
        return Err(Error::Usage(format!("`{run}` is not a run id (see `kuroko runs`)")));
    }
    let path = Journal::dir(store).join(format!("{run}.jsonl"));
    let file = File::open(&path).map_err(|e| {
        Error::Usage(format!(
            "no journal for run `{run}` in `{}`: {e} (see `kuroko runs`)",
            Journal::dir(store).display()
        ))
    })?;
    let mut entries = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| Error::io(&path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str(&line).map_err(|e| {
            Error::Other(anyhow::anyhow!(
                "`{}` line {}: damaged journal entry: {e}",
                path.display(),
                index + 1
            ))
        })?;
        entries.push(entry);
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

/// A Markdown or HTML report of a run.
pub fn report(entries: &[Entry], html: bool) -> String {
    let mut rows = Vec::new();
    let mut head = Vec::new();
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
            } => {
                head.push(("run".to_string(), run.clone()));
                head.push(("runbook".to_string(), format!("{runbook} ({origin})")));
                head.push(("runbook sha256".to_string(), sha256.clone()));
                head.push(("site".to_string(), site.clone()));
                head.push(("operator".to_string(), user.clone()));
                head.push(("started".to_string(), at.clone()));
                let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                head.push((
                    "parameters".to_string(),
                    if params.is_empty() { "-".into() } else { params.join(", ") },
                ));
                if *dry_run {
                    head.push(("mode".to_string(), "dry run: nothing was changed".into()));
                }
                if let Some(from) = resumed_from {
                    head.push(("resumes".to_string(), from.clone()));
                }
            }
            Entry::Step { seq, server, primitive, args, result, value, error, started, ended } => {
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
            Entry::Override { text, at } => head.push((format!("override at {at}"), text.clone())),
            Entry::End { status, error, at } => {
                head.push(("ended".to_string(), at.clone()));
                head.push(("status".to_string(), status.clone()));
                if let Some(error) = error {
                    head.push((
                        "error".to_string(),
                        error.lines().next().unwrap_or_default().to_string(),
                    ));
                }
            }
        }
    }
    if head.iter().all(|(k, _)| k != "status") {
        head.push(("status".to_string(), "unfinished (no end entry)".into()));
    }
    let columns = ["#", "started", "ended", "server", "step", "result", "detail"];
    if html {
        let esc = |s: &str| {
            s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
        };
        let mut out = String::from(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kuroko run report</title></head><body>\n<h1>kuroko run report</h1>\n<table>\n",
        );
        for (k, v) in &head {
            out.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>\n", esc(k), esc(v)));
        }
        out.push_str("</table>\n<h2>Steps</h2>\n<table border=\"1\">\n<tr>");
        for c in columns {
            out.push_str(&format!("<th>{c}</th>"));
        }
        out.push_str("</tr>\n");
        for row in &rows {
            out.push_str("<tr>");
            for cell in row {
                out.push_str(&format!("<td>{}</td>", esc(cell)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n</body></html>\n");
        out
    } else {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = String::from("# kuroko run report\n\n");
        for (k, v) in &head {
            out.push_str(&format!("- **{k}**: {}\n", cell(v)));
        }
        out.push_str(&format!(
            "\n## Steps\n\n| {} |\n|{}\n",
            columns.join(" | "),
            "---|".repeat(columns.len())
        ));
        for row in &rows {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }
}
