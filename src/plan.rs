//! Procedure documents (手順書): the dry run of a runbook written as numbered steps, each
//! with its server, the state expected before (事前確認), the action (実施), the state
//! expected after (事後確認) and the rules it checks; signed by its author, approved by a
//! second person with an SSH key (`ssh-keygen -Y sign`), and run exactly as approved.
//!
//! The plan file is Markdown for people with the machine-readable plan in a fenced
//! `kuroko-plan` block at its end; the signatures cover every byte of the file.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::archive::sha256_hex;
use crate::error::{Error, Result};
use crate::rules::{Refusal, Rule};

/// The signature namespaces: an author's signature cannot pass as an approval.
const AUTHOR_NAMESPACE: &str = "kuroko-plan";
const APPROVER_NAMESPACE: &str = "kuroko-approval";
/// The fence that holds the machine-readable plan.
const FENCE: &str = "```kuroko-plan\n";
/// The "server" of a row that is on no server: a step done by hand, a change to the store.
pub const NO_SERVER: &str = "-";
/// The largest plan file read.
const MAX_PLAN: u64 = 16 << 20;

/// One changing action of the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Action {
    /// The runbook's step (its narration) the action belongs to.
    pub step: usize,
    pub step_text: String,
    pub server: String,
    /// 実施: the action, with backup ids made during the run written as `<new>`: the
    /// English wording, which the run is checked against.
    pub action: String,
    /// The action in the plan's language, when that is not English.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub shown: String,
    /// A step an operator does by hand (`manual_step`): in the document for the reviewer,
    /// and confirmed by the operator as the run comes to it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manual: bool,
    pub rules: Vec<String>,
    /// 事前確認 and 事後確認: Interstage's state, role and group before and after.
    pub before: String,
    pub after: String,
}

impl Action {
    /// The action as the plan's reader reads it.
    pub fn wording(&self) -> &str {
        if self.shown.is_empty() { &self.action } else { &self.shown }
    }
}

/// What a plan was made against; a run refuses when any of them changed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Fingerprints {
    /// The runbook and every module it imports.
    pub runbook: String,
    pub params: String,
    pub site_file: String,
    /// Group membership and the state of every server the plan touches.
    pub live: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub format: u32,
    pub site: String,
    pub site_id: String,
    pub runbook: String,
    pub origin: String,
    pub params: BTreeMap<String, String>,
    pub fingerprints: Fingerprints,
    pub author: String,
    pub created: String,
    /// The language it is written in (`en`, `ja`): its author's.
    #[serde(default = "english")]
    pub lang: String,
    pub actions: Vec<Action>,
}

fn english() -> String {
    "en".to_string()
}

/// The generation ids in `text` that the store did not hold when the run began are
/// written as `<new>`: a plan cannot know the ids its run will make.
pub fn normalise(text: &str, known: &BTreeSet<String>) -> String {
    static ID: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"\b[0-9]{8}T[0-9]{6,9}Z-[0-9a-f]{6}\b").expect("a valid pattern")
    });
    ID.replace_all(text, |caps: &regex::Captures| {
        if known.contains(&caps[0]) { caps[0].to_string() } else { "(new)".to_string() }
    })
    .into_owned()
}

pub fn params_fingerprint(params: &BTreeMap<String, String>) -> String {
    let text: String = params.iter().map(|(k, v)| format!("{k}\0{v}\n")).collect();
    sha256_hex(text.as_bytes())
}

/// The site file as this run parsed it: the text read once, never read again.
pub fn site_file_fingerprint(site: &crate::site::Site) -> String {
    site.file_sha256.clone()
}

thread_local! {
    /// On the threads of a `batch`, whose jobs run side by side: the step the batch
    /// belongs to. Their actions keep their order server by server within that step.
    static SIDE_BY_SIDE: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Marks this thread as a worker of a batch that belongs to runbook step `step`.
pub fn side_by_side(step: usize) {
    SIDE_BY_SIDE.with(|s| s.set(Some(step)));
}

/// What a run is checked against as it goes: every row of the plan (actions and steps done
/// by hand), in the plan's order, each in its step with its narration; the jobs of a
/// batch, side by side, in their own order server by server within the batch's step.
pub struct Guard {
    expected: VecDeque<Action>,
    known: BTreeSet<String>,
    /// Set at the first divergence, for good: a runbook that catches the refusal and
    /// goes on still fails.
    pub diverged: Option<String>,
}

impl Guard {
    pub fn new(plan: &Plan, known: BTreeSet<String>) -> Guard {
        Guard { expected: plan.actions.iter().cloned().collect(), known, diverged: None }
    }

    /// The next row must be `text` on `server` (`manual`: a step done by hand), in step
    /// `step` with narration `narration`: else the run stops (R11), and every later
    /// action is refused too.
    pub fn check(
        &mut self,
        server: &str,
        text: &str,
        (step, narration): (usize, &str),
        manual: bool,
    ) -> Result<()> {
        let live = normalise(text, &self.known);
        let narration = normalise(narration, &self.known);
        let next = match SIDE_BY_SIDE.with(|s| s.get()) {
            // In a batch: the first row left on this server, if every row before it is of
            // the batch's own step (other jobs' rows), and it is too.
            Some(batch) => self
                .expected
                .iter()
                .position(|row| row.server == server || row.step != batch)
                .filter(|at| self.expected[*at].step == batch),
            None => (!self.expected.is_empty()).then_some(0),
        };
        let side_by_side = SIDE_BY_SIDE.with(|s| s.get()).is_some();
        let planned = next.and_then(|at| self.expected.get(at)).cloned();
        let reason = match (&planned, &self.diverged) {
            (_, Some(first)) => crate::msg!("plan-already-left", first = first),
            (Some(row), None)
                if row.server == server
                    && row.action == live
                    && row.manual == manual
                    && (side_by_side || (row.step == step && row.step_text == narration)) =>
            {
                if let Some(at) = next {
                    self.expected.remove(at);
                }
                return Ok(());
            }
            (planned, None) => {
                let reason = match planned {
                    Some(row) => crate::msg!(
                        "plan-not-in-plan-next",
                        action = live,
                        server = server,
                        next = format!(
                            "{}. {}: {}` on `{}",
                            row.step, row.step_text, row.action, row.server
                        )
                    ),
                    None => crate::msg!("plan-not-in-plan-none", action = live, server = server),
                };
                self.diverged = Some(reason.clone());
                reason
            }
        };
        Err(Refusal::new(Rule::R11, server, reason, crate::msg!("plan-not-approved-instead"))
            .into())
    }

    /// Planned actions the run did not come to.
    pub fn left(&self) -> usize {
        self.expected.len()
    }
}

/// Where the rows a run would make now differ from the approved plan's, if they do: every
/// column counts (what the reviewer read, not only the action checked at each step).
pub fn first_difference(planned: &[Action], now: &[Action]) -> Option<String> {
    let field = |a: &Action| {
        format!(
            "{}. {} | {} | {} | {} | {} | {} | {}",
            a.step,
            a.step_text,
            a.server,
            a.before,
            a.wording(),
            a.after,
            a.rules.join(", "),
            a.action
        )
    };
    // Server by server: the order across servers is the guard's to check (a batch's jobs
    // run side by side and may interleave differently from one run to the next).
    let by_server = |rows: &[Action]| {
        let mut grouped: BTreeMap<String, Vec<Action>> = BTreeMap::new();
        for row in rows {
            grouped.entry(row.server.clone()).or_default().push(row.clone());
        }
        grouped
    };
    let (planned_rows, now_rows) = (by_server(planned), by_server(now));
    for (server, rows) in &planned_rows {
        let other = now_rows.get(server).map(Vec::as_slice).unwrap_or_default();
        for (p, n) in rows.iter().zip(other) {
            if p != n {
                let row = planned.iter().position(|r| r == p).map_or(0, |i| i + 1);
                return Some(crate::msg!(
                    "plan-row-differs",
                    row = row,
                    planned = crate::error::sanitize(&field(p)),
                    now = crate::error::sanitize(&field(n))
                ));
            }
        }
    }
    let differs = planned_rows.len() != now_rows.len()
        || planned_rows.iter().any(|(s, rows)| now_rows.get(s).map(Vec::len) != Some(rows.len()));
    differs.then(|| crate::msg!("plan-rows-differ", planned = planned.len(), now = now.len()))
}

/// Records the actions of a dry run for a plan.
#[derive(Default)]
pub struct Recorder {
    pub actions: Vec<Action>,
    pub known: BTreeSet<String>,
}

impl Plan {
    /// The language the plan is written in: its author's.
    pub fn lang(&self) -> crate::i18n::Lang {
        crate::i18n::parse(&self.lang).unwrap_or(crate::i18n::Lang::En)
    }

    /// A message in the plan's language.
    fn say(&self, id: &str) -> String {
        crate::i18n::t_in(self.lang(), id, &[])
    }

    /// The column headings of the steps table.
    fn columns(&self) -> Vec<String> {
        let mut columns = vec!["#".to_string()];
        for id in [
            "plan-col-step",
            "plan-col-server",
            "plan-col-before",
            "plan-col-action",
            "plan-col-after",
            "plan-col-rules",
            "plan-col-tick",
        ] {
            columns.push(self.say(id));
        }
        columns
    }

    /// The fingerprints, each with its label.
    fn fingerprint_list(&self) -> Vec<(String, &str)> {
        let f = &self.fingerprints;
        vec![
            (self.say("plan-fp-runbook"), short(&f.runbook)),
            (self.say("plan-fp-params"), short(&f.params)),
            (self.say("plan-fp-site-file"), short(&f.site_file)),
            (self.say("plan-fp-live"), short(&f.live)),
        ]
    }

    /// The plan file's text: Markdown with the plan as JSON at its end.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        md.push_str(&format!("# {}: {}\n\n", self.say("plan-title"), cell(&self.runbook)));
        md.push_str("| | |\n|---|---|\n");
        let params: Vec<String> =
            self.params.iter().map(|(k, v)| cell(&format!("{k}={v}"))).collect();
        let fingerprints: Vec<String> = self
            .fingerprint_list()
            .iter()
            .map(|(label, hash)| format!("{label} `{hash}`"))
            .collect();
        for (label, value) in [
            (self.say("plan-site"), format!("{} ({})", cell(&self.site), cell(&self.site_id))),
            (self.say("plan-runbook"), cell(&self.origin)),
            (
                self.say("plan-parameters"),
                if params.is_empty() { "-".to_string() } else { params.join(" ") },
            ),
            (self.say("plan-author"), format!("{} ({})", cell(&self.author), cell(&self.created))),
            (self.say("plan-fingerprints"), fingerprints.join(", ")),
        ] {
            md.push_str(&format!("| {label} | {value} |\n"));
        }
        let columns = self.columns();
        md.push_str(&format!("\n| {} |\n", columns.join(" | ")));
        md.push_str(&format!("|{}\n", "---|".repeat(columns.len())));
        for (number, action) in self.actions.iter().enumerate() {
            md.push_str(&format!(
                "| {} | {} | `{}` | {} | {} | {} | {} | ☐ |\n",
                number + 1,
                cell(&format!("{}. {}", action.step, action.step_text)),
                cell(&action.server),
                cell(&action.before),
                cell(action.wording()),
                cell(&action.after),
                if action.rules.is_empty() { "-".to_string() } else { action.rules.join(", ") }
            ));
        }
        md.push_str(&format!("\n{}\n\n", self.say("plan-approval-how")));
        md.push_str(FENCE);
        // Characters that reorder or break lines are written as JSON escapes: the signed
        // file shows in a terminal or pager as it reads.
        let json = serde_json::to_string_pretty(self).expect("a plan serialises");
        for c in json.chars() {
            if crate::error::reorders(c) {
                md.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                md.push(c);
            }
        }
        md.push_str("\n```\n");
        md
    }

    /// The same plan as a printable page (A4), naming the sha256 of the signed Markdown
    /// it was made with (`sha256sum PLAN.md` checks a printout against what was approved).
    pub fn html(&self, markdown_sha256: &str) -> String {
        let esc = html_escape;
        let mut rows = String::new();
        for (number, a) in self.actions.iter().enumerate() {
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}. {}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=tick>☐</td></tr>\n",
                number + 1,
                a.step,
                esc(&a.step_text),
                esc(&a.server),
                esc(&a.before),
                esc(a.wording()),
                esc(&a.after),
                esc(&a.rules.join(", "))
            ));
        }
        let params: Vec<String> =
            self.params.iter().map(|(k, v)| esc(&format!("{k}={v}"))).collect();
        let fingerprints: Vec<String> = self
            .fingerprint_list()
            .iter()
            .map(|(label, hash)| format!("{} <code>{hash}</code>", esc(label)))
            .collect();
        let headings: String =
            self.columns().iter().map(|c| format!("<th>{}</th>", esc(c))).collect();
        format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title} {runbook}</title>\n\
             <style>@page {{ size: A4 landscape; margin: 12mm; }} body {{ font-family: sans-serif; font-size: 10pt; }}\n\
             table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #444; padding: 3px 5px; vertical-align: top; overflow-wrap: anywhere; }}\n\
             th {{ background: #eee; }} td.tick {{ text-align: center; font-size: 14pt; }} tr {{ page-break-inside: avoid; }}</style></head>\n\
             <body><h1>{title}: <code>{runbook}</code></h1>\n\
             <p>{site_label} <code>{site}</code> · {params_label} <code>{params}</code> · {author_label} <code>{author}</code> ({created})</p>\n\
             <p>{fingerprints_label}: {fingerprints}</p>\n\
             <table><tr>{headings}</tr>\n{rows}</table>\n\
             <p>{approval}</p>\n<p><small>{signed}</small></p></body></html>\n",
            lang = self.lang().code(),
            title = esc(&self.say("plan-title")),
            runbook = esc(&self.runbook),
            site_label = esc(&self.say("plan-site")),
            site = esc(&self.site),
            params_label = esc(&self.say("plan-parameters")),
            params = params.join(" "),
            author_label = esc(&self.say("plan-author")),
            author = esc(&self.author),
            created = esc(&self.created),
            fingerprints_label = esc(&self.say("plan-fingerprints")),
            fingerprints = fingerprints.join(" · "),
            approval = esc(&self.say("plan-approval-blank")),
            signed = esc(&crate::i18n::t_in(
                self.lang(),
                "plan-html-of",
                &[("sha256", markdown_sha256)]
            )),
        )
    }

    /// Reads a plan file: its bytes (what the signatures cover) and the plan in it. The
    /// whole file must be exactly what kuroko writes for that plan, so that what people
    /// read and sign is what runs.
    pub fn read(path: &Path) -> Result<(Vec<u8>, Plan)> {
        let (bytes, plan) = Plan::parse(path)?;
        if plan.markdown().as_bytes() != bytes.as_slice() {
            return Err(refused(
                &crate::msg!("plan-text-edited", path = path.display()),
                &crate::msg!("plan-make-new-with-plan"),
            ));
        }
        Ok((bytes, plan))
    }

    fn parse(path: &Path) -> Result<(Vec<u8>, Plan)> {
        let bytes = read_bounded(path)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::Usage(crate::msg!("plan-not-utf8", path = path.display())))?;
        let json = text
            .rfind(FENCE)
            .map(|at| &text[at + FENCE.len()..])
            .and_then(|rest| rest.rfind("```").map(|end| &rest[..end]))
            .ok_or_else(|| Error::Usage(crate::msg!("plan-no-block", path = path.display())))?;
        let plan: Plan = serde_json::from_str(json).map_err(|e| {
            Error::Usage(crate::msg!("plan-unreadable", path = path.display(), error = e))
        })?;
        Ok((bytes, plan))
    }
}

/// Text for HTML: no markup from a value gets through.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn short(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

/// Text for a Markdown table cell (plans and reports). Markdown gives meaning to some
/// characters; in a cell they stand for themselves, so that a link, an entity, HTML or a
/// strike-through cannot make the rendered page say other than the text.
pub fn cell(text: &str) -> String {
    let mut out = String::new();
    for c in crate::error::sanitize(text).chars() {
        match c {
            // `\<` keeps HTML (a comment would hide the rows after it) out of the page.
            '\\' | '|' | '[' | ']' | '~' | '<' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out.replace("```", "` ` `")
}

fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    crate::archive::read_bounded(path, MAX_PLAN).map_err(|why| match why {
        crate::archive::Unread::TooLarge => {
            Error::Usage(crate::msg!("plan-too-large", path = path.display()))
        }
        crate::archive::Unread::Failed(why) => Error::Usage(why),
    })
}

/// Where the author's signature and the approval of `plan` live.
pub fn author_signature(plan: &Path) -> PathBuf {
    with_suffix(plan, ".sig")
}

pub fn approval_signature(plan: &Path) -> PathBuf {
    with_suffix(plan, ".approval.sig")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Signs `data` with the private key `key` (`ssh-keygen -Y sign`), in `namespace`.
/// Runs `ssh-keygen ARGS` with `data` on its stdin. A write it cuts short (it exited
/// early) shows in its exit status, which the caller judges.
fn ssh_keygen(args: &[&std::ffi::OsStr], data: &[u8]) -> Result<std::process::Output> {
    let mut child = Command::new("ssh-keygen")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Usage(crate::msg!("plan-no-ssh-keygen", error = e)))?;
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(data);
    }
    child.wait_with_output().map_err(|e| Error::Other(e.into()))
}

fn sign(data: &[u8], key: &Path, namespace: &str) -> Result<Vec<u8>> {
    let args = ["-q", "-Y", "sign", "-n", namespace, "-f"].map(std::ffi::OsStr::new);
    let out = ssh_keygen(&[&args[..], &[key.as_os_str()]].concat(), data)?;
    if !out.status.success() || out.stdout.is_empty() {
        return Err(Error::Usage(crate::msg!(
            "plan-signing-failed",
            key = key.display(),
            error = crate::error::sanitize(String::from_utf8_lossy(&out.stderr).trim())
        )));
    }
    Ok(out.stdout)
}

/// The principals of `signers` (an OpenSSH allowed_signers file) whose key made
/// `signature` over `data` in `namespace`; empty when none did.
fn signers_of(
    data: &[u8],
    signature: &Path,
    signers: &Path,
    namespace: &str,
) -> Result<Vec<String>> {
    let found = Command::new("ssh-keygen")
        .args(["-Y", "find-principals", "-s"])
        .arg(signature)
        .arg("-f")
        .arg(signers)
        .output()
        .map_err(|e| Error::Usage(crate::msg!("plan-no-ssh-keygen", error = e)))?;
    let candidates: Vec<String> = String::from_utf8_lossy(&found.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let mut verified = Vec::new();
    for principal in candidates {
        let args = ["-q", "-Y", "verify", "-n", namespace, "-I", &principal, "-f"]
            .map(std::ffi::OsStr::new);
        let tail = [signers.as_os_str(), std::ffi::OsStr::new("-s"), signature.as_os_str()];
        if ssh_keygen(&[&args[..], &tail[..]].concat(), data)?.status.success() {
            verified.push(principal);
        }
    }
    Ok(verified)
}

/// Writes a signature next to its plan: never through a link, and never over a file
/// that is there (a planted link would make kuroko overwrite what it points at).
fn write_new(path: &Path, data: &[u8]) -> Result<()> {
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| {
            Error::Usage(crate::msg!(
                "plan-cannot-write-signature",
                path = path.display(),
                error = e
            ))
        })?;
    file.write_all(data).map_err(|e| Error::io(path, e))
}

fn refused(what: &str, instead: &str) -> Error {
    Refusal::new(Rule::R11, "plan", what.to_string(), instead.to_string()).into()
}

/// The principals `signers` lists for the public half of `key` (`KEY.pub`), if any: who
/// the author is, said in the plan before it is signed.
pub fn principals_of_key(key: &Path, signers: &Path) -> Vec<String> {
    let public = std::fs::read_to_string(with_suffix(key, ".pub")).unwrap_or_default();
    let Some(blob) = public.split_whitespace().nth(1) else { return Vec::new() };
    let listed = read_bounded(signers).unwrap_or_default();
    String::from_utf8_lossy(&listed)
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter(|line| line.split_whitespace().any(|word| word == blob))
        .filter_map(|line| line.split_whitespace().next())
        .flat_map(|principals| principals.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// The author's signature of a plan's text.
pub fn author_signed(text: &[u8], key: &Path) -> Result<Vec<u8>> {
    sign(text, key, AUTHOR_NAMESPACE)
}

/// `kuroko approve PLAN --key KEY`: the approver signs the plan; refused when the
/// approver is not among `signers`, or is the plan's author (four eyes).
pub fn approve(plan: &Path, key: &Path, signers: &Path) -> Result<String> {
    let (data, parsed) = Plan::read(plan)?;
    let authors = author_of(plan, &data, signers)?;
    same_author(plan, &parsed, &authors)?;
    let signature = sign(&data, key, APPROVER_NAMESPACE)?;
    // Checked before anything is written: the signature goes to a private temporary file.
    let temp = tempfile::NamedTempFile::new().map_err(|e| Error::Other(e.into()))?;
    std::fs::write(temp.path(), &signature).map_err(|e| Error::io(temp.path(), e))?;
    let approvers = signers_of(&data, temp.path(), signers, APPROVER_NAMESPACE)?;
    if approvers.is_empty() {
        return Err(refused(
            &crate::msg!("plan-key-not-approver", key = key.display(), signers = signers.display()),
            &crate::msg!("plan-key-not-approver-instead"),
        ));
    }
    if let Some(same) = approvers.iter().find(|a| authors.contains(a)) {
        return Err(refused(
            &crate::msg!("plan-author-approves", principal = same),
            &crate::msg!("plan-second-person"),
        ));
    }
    let path = approval_signature(plan);
    write_new(&path, &signature)?;
    Ok(crate::msg!(
        "plan-approved",
        plan = plan.display(),
        authors = authors.join(", "),
        approvers = approvers.join(", ")
    ))
}

/// The author the plan names is the one whose key signed it: what the approver reads as
/// "author" cannot be someone else's name.
fn same_author(path: &Path, plan: &Plan, authors: &[String]) -> Result<()> {
    let named: BTreeSet<&str> = plan.author.split(", ").collect();
    let signed: BTreeSet<&str> = authors.iter().map(String::as_str).collect();
    if named == signed {
        return Ok(());
    }
    Err(refused(
        &crate::msg!(
            "plan-author-mismatch",
            plan = path.display(),
            named = plan.author,
            signed = authors.join(", ")
        ),
        &crate::msg!("plan-make-new"),
    ))
}

/// The principals that signed `plan` as its author; refused when none did.
fn author_of(plan: &Path, data: &[u8], signers: &Path) -> Result<Vec<String>> {
    let signature = author_signature(plan);
    if !signature.is_file() {
        return Err(refused(
            &crate::msg!(
                "plan-no-author-signature",
                plan = plan.display(),
                signature = signature.display()
            ),
            &crate::msg!("plan-no-author-signature-instead"),
        ));
    }
    let authors = signers_of(data, &signature, signers, AUTHOR_NAMESPACE)?;
    if authors.is_empty() {
        return Err(refused(
            &crate::msg!(
                "plan-author-signature-bad",
                plan = plan.display(),
                signers = signers.display()
            ),
            &crate::msg!("plan-make-new"),
        ));
    }
    Ok(authors)
}

/// Checks that `plan` is signed by its author and approved by someone else; returns
/// the plan and (authors, approvers).
pub fn verify_approved(
    plan: &Path,
    signers: &Path,
) -> Result<(Plan, String, Vec<String>, Vec<String>)> {
    let (data, parsed) = Plan::read(plan)?;
    let authors = author_of(plan, &data, signers)?;
    same_author(plan, &parsed, &authors)?;
    let approval = approval_signature(plan);
    if !approval.is_file() {
        return Err(refused(
            &crate::msg!("plan-not-approved", plan = plan.display(), approval = approval.display()),
            &crate::msg!("plan-not-approved-how"),
        ));
    }
    let approvers = signers_of(&data, &approval, signers, APPROVER_NAMESPACE)?;
    if approvers.is_empty() {
        return Err(refused(
            &crate::msg!("plan-approval-bad", plan = plan.display(), signers = signers.display()),
            &crate::msg!("plan-make-new"),
        ));
    }
    if approvers.iter().any(|a| authors.contains(a)) {
        return Err(refused(
            &crate::msg!("plan-approved-by-author", plan = plan.display()),
            &crate::msg!("plan-second-person"),
        ));
    }
    Ok((parsed, sha256_hex(&data), authors, approvers))
}
