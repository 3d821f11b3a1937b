//! The runtime a runbook runs in: the site, a connection per server, a model of every
//! server's state that the rules are checked against (and that a dry run updates instead
//! of the servers), and the record of what this run stopped (R11).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::msg;
use crate::report::Report;
use crate::rules::{Refusal, Rule};
use crate::shell::{Script, Template};
use crate::site::{KUROKO_DIR, Role, Server, Site};
use crate::store::Store;
use crate::transport::{self, Transport};

/// Where kuroko keeps its own record on a server (outside every backup pattern).
pub const PROVENANCE: &str = "var/opt/kuroko/provenance.json";
/// The most kuroko reads of its record.
const MAX_RECORD: usize = 64 * 1024;

/// The longest the dry run made before a run may take, in seconds and operations.
const REHEARSAL_SECONDS: u64 = 30;
/// How many servers are asked their state at once.
const READ_AT_ONCE: usize = 32;
const REHEARSAL_OPERATIONS: u64 = 5_000_000;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dry_run: bool,
    /// Rules the operator overrides for this run (only overridable ones get here).
    pub force: BTreeSet<Rule>,
    /// Manual steps are confirmed without asking (the operator did them beforehand).
    pub assume_yes: bool,
}

/// Where a server's current resources came from (R2, R5, R6), kept on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub kind: String,
    pub backup: String,
    pub source_server: String,
    pub source_group: Option<String>,
    pub source_address: String,
    pub source_hostname: String,
    /// R5: the source's address and host name are still in the resources.
    pub hostinfo_pending: bool,
    /// R6: `imported`, `kept` (the server's own) or `missing`.
    pub certificate: String,
    pub at: String,
    /// False from just before the resources are swapped in until the restore finished:
    /// a run killed in between leaves a record that R2 and R5 still refuse on.
    #[serde(default = "finished")]
    pub complete: bool,
}

fn finished() -> bool {
    true
}

#[derive(Debug, Clone)]
pub struct ServerState {
    pub running: bool,
    pub provenance: Option<Provenance>,
}

pub type Membership = BTreeMap<String, BTreeSet<String>>;

#[derive(Default)]
pub struct Model {
    /// Shared, not copied: every server's role is looked up in it.
    pub membership: Option<Arc<Membership>>,
    pub states: BTreeMap<String, ServerState>,
    /// Servers this run stopped and has not started again, in order (R11).
    pub stopped: Vec<String>,
    /// Servers the runbook marked as intentionally down.
    pub down: BTreeSet<String>,
    /// Backups a dry run would have taken.
    pub planned: BTreeMap<String, Manifest>,
    /// Group deletions a dry run made: Some (deleted) or None (added back), over the store's.
    pub removed: BTreeMap<String, Option<crate::store::Removal>>,
    /// Servers whose declared role and group this run has already said differ.
    pub warned: BTreeSet<String>,
    /// Generations begun with `new_generation()` whose first backup is still to come.
    pub sets: BTreeSet<String>,
}

/// Since when a server is out of service (while it is), and how long its last outage was.
type OutageClock = (Option<std::time::Instant>, Option<std::time::Duration>);

thread_local! {
    /// The primitive call running on this thread (its journal `seq`), for the evidence.
    static CALL: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// One connection slot per site server, shared by a run and the dry run it makes first.
pub type Connections = BTreeMap<String, Mutex<Option<Box<dyn Transport>>>>;

pub struct Runtime {
    pub site: Site,
    pub store: Store,
    pub options: Options,
    pub report: Report,
    pub cancel: Arc<AtomicBool>,
    conns: Arc<Connections>,
    model: Mutex<Model>,
    /// The typed error behind the last failed primitive of each thread, for the engine.
    failure: Mutex<std::collections::HashMap<std::thread::ThreadId, Error>>,
    steps: AtomicUsize,
    batch_failed: AtomicBool,
    journal: Option<crate::journal::Journal>,
    /// Changing steps a resumed run already did: (primitive, arguments, value).
    replay: Mutex<Vec<crate::journal::Done>>,
    overrides: Mutex<Vec<String>>,
    /// Held while R4 is checked and a stop reserved (`reserve_stop`).
    r4: Mutex<()>,
    /// When the run began, for `[limits] seconds`.
    started: std::time::Instant,
    /// This is the dry run a real run makes of itself first.
    rehearsing: bool,
    /// Set when the runbook was stopped by `[limits] seconds` or `[limits] operations`.
    bounded: std::sync::atomic::AtomicBool,
    /// Each server's outage: since when this run has it stopped, and how long its last
    /// stop lasted (stop to start).
    outages: Mutex<BTreeMap<String, OutageClock>>,
    /// The step being done (its number and narration), for plans and evidence.
    current_step: Mutex<(usize, String)>,
    /// The servers this run acted on.
    touched: Mutex<BTreeSet<String>>,
    /// `kuroko plan`: the actions of this dry run are recorded.
    recorder: Option<Mutex<crate::plan::Recorder>>,
    /// `kuroko run --plan`: the approved plan every action is checked against.
    guard: Option<(Arc<crate::plan::Plan>, BTreeSet<String>, Mutex<crate::plan::Guard>)>,
}

/// The backup ids (`GENERATION/SERVER`) an action's text names in backquotes.
fn backup_ids(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| {
            word.split_once('/')
                .is_some_and(|(g, s)| crate::manifest::is_generation(g) && crate::site::is_name(s))
        })
        .map(str::to_string)
        .collect()
}

impl Runtime {
    pub fn new(site: Site, options: Options, cancel: Arc<AtomicBool>) -> Runtime {
        let conns =
            Arc::new(site.servers.keys().map(|name| (name.clone(), Mutex::new(None))).collect());
        Runtime {
            store: Store::new(&site),
            report: Report::new(options.dry_run),
            site,
            options,
            cancel,
            conns,
            model: Mutex::new(Model::default()),
            failure: Mutex::new(std::collections::HashMap::new()),
            steps: AtomicUsize::new(0),
            batch_failed: AtomicBool::new(false),
            journal: None,
            replay: Mutex::new(Vec::new()),
            overrides: Mutex::new(Vec::new()),
            r4: Mutex::new(()),
            started: std::time::Instant::now(),
            rehearsing: false,
            bounded: Default::default(),
            outages: Default::default(),
            current_step: Mutex::new((0, String::new())),
            touched: Mutex::new(BTreeSet::new()),
            recorder: None,
            guard: None,
        }
    }

    /// Records every action of this (dry) run for a plan; `known` are the generations the
    /// store holds now.
    pub fn recording(mut self, known: BTreeSet<String>) -> Runtime {
        self.recorder = Some(Mutex::new(crate::plan::Recorder { actions: Vec::new(), known }));
        self
    }

    /// The recorded actions.
    pub fn recorded(&self) -> Vec<crate::plan::Action> {
        self.recorder
            .as_ref()
            .map(|r| r.lock().unwrap_or_else(|e| e.into_inner()).actions.clone())
            .unwrap_or_default()
    }

    /// Checks every action of this run against an approved plan.
    pub fn guarded_by(mut self, plan: Arc<crate::plan::Plan>, known: BTreeSet<String>) -> Runtime {
        let guard = crate::plan::Guard::new(&plan, known.clone());
        self.guard = Some((plan, known, Mutex::new(guard)));
        self
    }

    /// The first action this run tried that its plan does not have (whatever the runbook
    /// did with that error).
    pub fn plan_diverged(&self) -> Option<String> {
        self.guard
            .as_ref()
            .and_then(|(_, _, g)| g.lock().unwrap_or_else(|e| e.into_inner()).diverged.clone())
    }

    /// The approved plan this run is checked against.
    pub fn approved_plan(&self) -> Option<Arc<crate::plan::Plan>> {
        self.guard.as_ref().map(|(plan, _, _)| plan.clone())
    }

    /// Planned actions this run did not come to.
    pub fn plan_left(&self) -> usize {
        self.guard
            .as_ref()
            .map(|(_, _, g)| g.lock().unwrap_or_else(|e| e.into_inner()).left())
            .unwrap_or(0)
    }

    /// Reports a changing action before it is done, checks it against an approved plan
    /// (a step the plan does not have stops the run, R11), journals it as evidence with
    /// the server's state then, and records it for a plan.
    /// `say` words the action in a language: in English it is the action's identity (what
    /// a plan is checked against and the journal holds), in the operator's language what
    /// is shown.
    pub fn act(
        &self,
        server: &str,
        say: impl Fn(crate::i18n::Lang) -> String,
        rules: &[Rule],
    ) -> Result<()> {
        let text = say(crate::i18n::Lang::En);
        let shown = match crate::i18n::lang() {
            crate::i18n::Lang::En => String::new(),
            lang => Some(say(lang)).filter(|shown| *shown != text).unwrap_or_default(),
        };
        let text = text.as_str();
        let (step, narration) = self.current_step.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some((_, _, guard)) = &self.guard {
            guard.lock().unwrap_or_else(|e| e.into_inner()).check(
                server,
                text,
                (step, &narration),
                false,
            )?;
        }
        self.report.action(server, if shown.is_empty() { text } else { &shown }, rules);
        if server != crate::plan::NO_SERVER {
            self.touched.lock().unwrap_or_else(|e| e.into_inner()).insert(server.to_string());
        }
        if self.recorder.is_none() && self.journal.is_none() {
            return Ok(());
        }
        let known = self.model().states.get(server).map(|s| s.running);
        // A server whose state the step did not need (the admin server for a group
        // change) is read now: the evidence says what it was.
        let before = if server == crate::plan::NO_SERVER {
            crate::plan::NO_SERVER.to_string()
        } else {
            let state = known.or_else(|| self.read_running(server).ok());
            self.state_text(server, state)
        };
        // The backup an action uses, by its archive's sha256, for the evidence.
        let used = if self.journal.is_some() {
            backup_ids(text)
                .into_iter()
                .filter_map(|id| self.store.load(&id).ok().map(|m| (id, m.archive.sha256)))
                .map(|(id, sha256)| msg!("state-backup-used", backup = id, sha256 = sha256))
                .collect::<String>()
        } else {
            String::new()
        };
        // What a plan expects after it.
        let after = if self.recorder.is_none() {
            String::new()
        } else if text.starts_with("stop Interstage") {
            self.state_text(server, Some(false))
        } else if text.starts_with("start Interstage") {
            self.state_text(server, Some(true))
        } else {
            before.clone()
        };
        self.record_row(
            crate::plan::Action {
                step,
                step_text: narration,
                server: server.to_string(),
                action: text.to_string(),
                shown,
                manual: false,
                rules: rules.iter().map(|r| r.to_string()).collect(),
                before,
                after,
            },
            &used,
        );
        Ok(())
    }

    /// A row of the run, as it happens: journalled as evidence (its state before with
    /// `used`, the backup it uses), and recorded for a plan being made (backup ids the run
    /// makes written `(new)`).
    fn record_row(&self, row: crate::plan::Action, used: &str) {
        if let Some(journal) = &self.journal {
            journal.step(crate::journal::Entry::Action {
                step: row.step,
                call: CALL.with(|c| c.get()),
                narration: row.step_text.clone(),
                server: row.server.clone(),
                action: row.action.clone(),
                shown: row.shown.clone(),
                rules: row.rules.clone(),
                before: format!("{}{used}", row.before),
                at: crate::store::now(),
            });
        }
        if let Some(recorder) = &self.recorder {
            let mut recorder = recorder.lock().unwrap_or_else(|e| e.into_inner());
            let known = &recorder.known;
            let row = crate::plan::Action {
                step_text: crate::plan::normalise(&row.step_text, known),
                action: crate::plan::normalise(&row.action, known),
                shown: crate::plan::normalise(&row.shown, known),
                ..row
            };
            recorder.actions.push(row);
        }
    }

    /// `name`'s outage begins (its stop command is about to run).
    pub fn outage_begins(&self, name: &str) {
        let mut outages = self.outages.lock().unwrap_or_else(|e| e.into_inner());
        outages.entry(name.to_string()).or_default().0 = Some(std::time::Instant::now());
    }

    /// `name`'s outage ends (Interstage runs again).
    pub fn outage_ends(&self, name: &str) {
        let mut outages = self.outages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((since, last)) = outages.get_mut(name)
            && let Some(since) = since.take()
        {
            *last = Some(since.elapsed());
        }
    }

    /// How long `name`'s last outage lasted, once: the next asks about the next outage.
    pub fn take_outage(&self, name: &str) -> Option<std::time::Duration> {
        let mut outages = self.outages.lock().unwrap_or_else(|e| e.into_inner());
        outages.get_mut(name).and_then(|(_, last)| last.take())
    }

    /// Records that the runbook was stopped by a time or operations limit.
    pub fn stopped_by_limit(&self) {
        self.bounded.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the runbook was stopped by a time or operations limit.
    pub fn was_bounded(&self) -> bool {
        self.bounded.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A server's state and role as plans and evidence show them (事前確認, 事後確認):
    /// `running, member of G1`; `None` when it could not be read.
    pub fn state_text(&self, server: &str, running: Option<bool>) -> String {
        let state = match running {
            Some(true) => msg!("state-running"),
            Some(false) => msg!("state-stopped"),
            None => msg!("state-not-read"),
        };
        let role = match self.role_of(server) {
            Ok((role, group)) => {
                let role = match role {
                    Role::Admin => msg!("state-role-admin"),
                    Role::Member => msg!("state-role-member"),
                    Role::Single => msg!("state-role-single"),
                    Role::Reserve => msg!("state-role-reserve"),
                    Role::Standalone => msg!("state-role-standalone"),
                };
                match group {
                    Some(group) => msg!("state-role-of-group", role = role, group = group),
                    None => role,
                }
            }
            Err(_) => String::new(),
        };
        msg!("state-line", state = state, role = role)
    }

    /// A step done by hand: checked against an approved plan like an action (its text
    /// as the plan has it), and a row of a plan being recorded.
    pub fn manual(&self, text: &str) -> Result<()> {
        let shown = msg!("manual-step", text = text);
        let (step, narration) = self.current_step.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some((_, _, guard)) = &self.guard {
            guard.lock().unwrap_or_else(|e| e.into_inner()).check(
                crate::plan::NO_SERVER,
                &shown,
                (step, &narration),
                true,
            )?;
        }
        // Evidence: the step by hand in its place among the actions, ticked when the
        // operator confirmed it; and a row of a plan being made.
        self.record_row(
            crate::plan::Action {
                step,
                step_text: narration,
                server: crate::plan::NO_SERVER.to_string(),
                action: shown,
                shown: String::new(),
                manual: true,
                rules: Vec::new(),
                before: crate::plan::NO_SERVER.to_string(),
                after: crate::plan::NO_SERVER.to_string(),
            },
            "",
        );
        Ok(())
    }

    /// The number of the runbook's step being done.
    pub fn step_number(&self) -> usize {
        self.current_step.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    /// The servers this run acted on.
    pub fn touched(&self) -> BTreeSet<String> {
        self.touched.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The silent dry run of this run, made before its first step: it reads the same
    /// site over the same connections and changes nothing.
    pub fn rehearsal(&self) -> Runtime {
        let options = Options { dry_run: true, assume_yes: true, ..self.options.clone() };
        // Bounded: a runbook that waits for something in a loop never ends in a dry run.
        // A planned run's is not: its plan was made from a dry run bounded only by the
        // site's limits, and it must finish to be compared with it.
        let mut site = self.site.clone();
        if self.guard.is_none() {
            site.limits.seconds = site.limits.seconds.min(REHEARSAL_SECONDS);
            site.limits.operations = site.limits.operations.min(REHEARSAL_OPERATIONS);
        }
        let mut dry = Runtime::new(site, options, self.cancel.clone());
        dry.report = Report::silent();
        dry.conns = self.conns.clone();
        dry.rehearsing = true;
        // The dry run is checked against the approved plan too: a run that would leave
        // it is stopped before it touches anything.
        // It records its rows too: they must be the approved plan's, every column.
        if let Some((plan, known, _)) = &self.guard {
            dry = dry.guarded_by(plan.clone(), known.clone()).recording(known.clone());
        }
        // A resumed run's dry run starts where it does: the steps already done are
        // replayed, and the stops it took over count.
        *dry.replay.lock().unwrap_or_else(|e| e.into_inner()) =
            self.replay.lock().unwrap_or_else(|e| e.into_inner()).clone();
        {
            let model = self.model();
            let mut twin = dry.model();
            twin.stopped = model.stopped.clone();
            twin.down = model.down.clone();
        }
        dry
    }

    /// What `dry_run()` tells a script: a real run's own dry run answers as the real run
    /// would, so that no runbook can behave one way when planned and another when run.
    pub fn plans_only(&self) -> bool {
        // A plan is recorded from a dry run that answers as the real run will, too.
        self.dry_run() && !self.rehearsing && self.recorder.is_none()
    }

    /// Journals every step of this run.
    pub fn with_journal(mut self, journal: crate::journal::Journal) -> Runtime {
        self.journal = Some(journal);
        self
    }

    /// Steps the run being resumed already did: they are not done again.
    pub fn with_replay(self, steps: Vec<crate::journal::Done>) -> Runtime {
        *self.replay.lock().unwrap_or_else(|e| e.into_inner()) = steps;
        self
    }

    pub fn journal(&self) -> Option<&crate::journal::Journal> {
        self.journal.as_ref()
    }

    /// Runs one primitive: replays it if the resumed run already did it, and journals it.
    pub fn journaled<T: crate::journal::Record>(
        &self,
        name: &str,
        server: Option<String>,
        args: Vec<String>,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        use crate::journal::Entry;
        let changes = crate::primitives::docs::find(name).is_some_and(|d| d.changes);
        let started = crate::store::now();
        if changes {
            let replayed = {
                let mut replay = self.replay.lock().unwrap_or_else(|e| e.into_inner());
                let found = replay.iter().position(|d| d.primitive == name && d.args == args);
                found.map(|index| replay.remove(index))
            };
            if let Some(crate::journal::Done { value, .. }) = replayed
                && let Some(result) = T::from_record(value.as_deref())
            {
                self.report.note(server.as_deref(), &msg!("prim-replayed", primitive = name));
                if let Some(journal) = &self.journal {
                    journal.step(Entry::Step {
                        seq: journal.next_seq(),
                        server,
                        primitive: name.to_string(),
                        args,
                        result: "replayed".into(),
                        value,
                        error: None,
                        started: started.clone(),
                        ended: started,
                    });
                }
                return Ok(result);
            }
        }
        // The call's number is taken before it runs, so that the actions it journals
        // name it (a hook's or a batch job's calls inside it have their own).
        let seq = self.journal.as_ref().map(|journal| journal.next_seq());
        let outer = CALL.with(|c| c.replace(seq));
        let result = f();
        CALL.with(|c| c.set(outer));
        if let (Some(journal), Some(seq)) = (&self.journal, seq) {
            let (outcome, value, error) = match &result {
                Ok(value) => ("ok", value.record(), None),
                Err(Error::Refused(refusal)) => ("refused", None, Some(refusal.to_string())),
                Err(error) => ("failed", None, Some(error.to_string())),
            };
            journal.step(Entry::Step {
                seq,
                server,
                primitive: name.to_string(),
                args,
                result: outcome.into(),
                value,
                error,
                started,
                ended: crate::store::now(),
            });
        }
        result
    }

    pub fn dry_run(&self) -> bool {
        self.options.dry_run
    }

    pub fn r4_lock(&self) -> MutexGuard<'_, ()> {
        self.r4.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn check_cancel(&self) -> Result<()> {
        if self.cancel.load(Ordering::SeqCst) { Err(Error::Interrupted) } else { Ok(()) }
    }

    /// Waits `duration`, ending at once on Ctrl-C.
    pub fn pause(&self, duration: std::time::Duration) -> Result<()> {
        if self.dry_run() {
            return Ok(());
        }
        let start = std::time::Instant::now();
        let limit = std::time::Duration::from_secs(self.site.limits.seconds);
        while start.elapsed() < duration {
            self.check_cancel()?;
            if self.started.elapsed() > limit {
                return Err(Error::Other(anyhow::anyhow!(msg!(
                    "prim-time-limit",
                    seconds = self.site.limits.seconds
                ))));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Ok(())
    }

    pub fn remember_failure(&self, error: Error) -> String {
        let text = error.to_string();
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(std::thread::current().id(), error);
        text
    }

    pub fn take_failure(&self) -> Option<Error> {
        self.failure.lock().unwrap_or_else(|e| e.into_inner()).remove(&std::thread::current().id())
    }

    pub fn next_step(&self, text: &str) {
        let number = self.steps.fetch_add(1, Ordering::SeqCst) + 1;
        *self.current_step.lock().unwrap_or_else(|e| e.into_inner()) = (number, text.to_string());
        self.report.step(number, text);
    }

    /// Prints a batch's summary table and remembers whether any server failed, so the
    /// run's exit code says so.
    pub fn report_batch(&self, summary: &crate::batch::Summary) {
        self.report.note(None, &summary.to_string());
        if !summary.all_succeeded() {
            self.batch_failed.store(true, Ordering::SeqCst);
        }
    }

    pub fn some_servers_failed(&self) -> bool {
        self.batch_failed.load(Ordering::SeqCst)
    }

    pub fn overrides(&self) -> Vec<String> {
        self.overrides.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A refusal, unless the operator overrode this (overridable) rule for the run.
    pub fn refuse_unless_forced(&self, refusal: Refusal) -> Result<()> {
        if refusal.rule.is_overridable() && self.options.force.contains(&refusal.rule) {
            let text = msg!(
                "prim-override",
                rule = refusal.rule,
                server = refusal.server,
                reason = refusal.reason
            );
            self.report.warn(&text);
            if let Some(journal) = &self.journal {
                journal.step(crate::journal::Entry::Override {
                    text: text.clone(),
                    at: crate::store::now(),
                });
            }
            self.overrides.lock().unwrap_or_else(|e| e.into_inner()).push(text);
            return Ok(());
        }
        Err(Error::Refused(refusal))
    }

    pub fn server(&self, name: &str) -> Result<&Server> {
        self.site.server(name)
    }

    /// Runs `f` with the server's transport, connecting on first use; one connection
    /// per server serves every step of the run.
    pub fn with_conn<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut dyn Transport) -> Result<T>,
    ) -> Result<T> {
        let server = self.server(name)?;
        let slot = self.conns.get(name).expect("a slot per site server");
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(transport::connect(server)?);
        }
        let result = f(slot.as_mut().expect("connected").as_mut());
        if let Err(Error::Unreachable { .. }) = &result {
            // The connection is gone: the next step connects again.
            *slot = None;
        }
        result
    }

    /// Runs a command that must succeed on `name`.
    pub fn run(
        &self,
        name: &str,
        what: &str,
        command: &Script,
        input: Option<&[u8]>,
    ) -> Result<String> {
        self.with_conn(name, |t| transport::run_checked(t, name, what, command, input))
    }

    /// Renders a command template for `server`.
    pub fn command(&self, server: &Server, template: &Template, extra: &[(&str, &str)]) -> Script {
        let root = server.root_prefix();
        let mut values = vec![("root", root.as_str())];
        values.extend_from_slice(extra);
        template.render(&values)
    }

    /// The absolute path of `relative` on `server`, as a value for a template.
    pub fn absolute(&self, server: &Server, relative: &str) -> String {
        format!("{}/{relative}", server.root_prefix())
    }

    /// The server's state as the rules see it, read from the server on first use.
    pub fn state(&self, name: &str) -> Result<ServerState> {
        if let Some(state) = self.model().states.get(name) {
            return Ok(state.clone());
        }
        let state = self.read_state(name)?;
        self.model().states.insert(name.to_string(), state.clone());
        Ok(state)
    }

    pub fn set_state(&self, name: &str, update: impl FnOnce(&mut ServerState)) {
        if let Some(state) = self.model().states.get_mut(name) {
            update(state);
        }
    }

    /// The server's state and kuroko's record on it, in one round trip.
    fn read_state(&self, name: &str) -> Result<ServerState> {
        let server = self.server(name)?;
        // The record counts only inside kuroko's own folder: a real folder owned by the
        // user kuroko runs as, reached through no symbolic link.
        let command = Script::guarded()
            .set("d", KUROKO_DIR)
            .set("f", PROVENANCE)
            .set("max", &(MAX_RECORD + 1).to_string())
            .text(
                r#"nolink "$f" || exit 90
if [ -e "$d" ] && { [ ! -d "$d" ] || [ ! -O "$d" ] || [ -n "$(find "$d" -maxdepth 0 -perm /022)" ]; }; then echo "refused: \`$d' on the server is not a private folder owned by $(id -un)" >&2; exit 90; fi
if [ -f "$f" ] && { [ ! -O "$f" ] || [ -n "$(find "$f" -maxdepth 0 -perm /022)" ]; }; then echo "refused: \`$f' on the server is not owned by $(id -un) alone" >&2; exit 90; fi
if [ -f "$f" ]; then head -c "$max" -- "$f"; elif [ -e "$f" ]; then echo "\`$f' is not a regular file" >&2; exit 90; fi
"#,
            );
        let status = self.command(server, &self.site.templates.status, &[]);
        let what = msg!("prim-doing-read-record");
        let both = self.with_conn(name, |t| transport::capture_then(t, &command, &status))?;
        let (running, text) = match both {
            Some((record, read)) => (
                self.running_from(name, &status, &read)?,
                transport::checked(record, name, &what, &command)?,
            ),
            // The two could not be told apart: each is asked on its own.
            None => (self.read_running(name)?, self.run(name, &what, &command, None)?),
        };
        if text.len() > MAX_RECORD {
            return Err(Error::on_server(
                name,
                msg!("prim-record-too-large", record = PROVENANCE, max = MAX_RECORD),
            ));
        }
        let provenance = if text.trim().is_empty() {
            None
        } else {
            Some(serde_json::from_str(&text).map_err(|e| {
                Error::on_server(name, msg!("prim-record-damaged", record = PROVENANCE, error = e))
            })?)
        };
        Ok(ServerState { running, provenance })
    }

    /// Asks the server (the status command) whether Interstage runs.
    /// Interstage's state on each of `names`, asked of all of them at once (at most
    /// `READ_AT_ONCE` at a time, each over its own connection), in the order given.
    pub fn read_running_all(&self, names: &[String]) -> Vec<Result<bool>> {
        self.on_all(names, |name| self.read_running(name))
    }

    /// What this run knows of each of `names` (their state and record), those it has not
    /// read yet read at once.
    pub fn states_of(&self, names: &[String]) -> Vec<Result<ServerState>> {
        let unknown: Vec<String> = {
            let model = self.model();
            names.iter().filter(|n| !model.states.contains_key(*n)).cloned().collect()
        };
        for (name, state) in unknown.iter().zip(self.on_all(&unknown, |n| self.read_state(n))) {
            if let Ok(state) = state {
                self.model().states.entry(name.clone()).or_insert(state);
            }
        }
        names.iter().map(|name| self.state(name)).collect()
    }

    /// `read` on each of `names`, at most `READ_AT_ONCE` at a time, in the order given.
    fn on_all<T: Send>(
        &self,
        names: &[String],
        read: impl Fn(&str) -> Result<T> + Sync,
    ) -> Vec<Result<T>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<Mutex<Option<Result<T>>>> =
            names.iter().map(|_| Mutex::new(None)).collect();
        let workers = names.len().min(READ_AT_ONCE);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let at = next.fetch_add(1, Ordering::SeqCst);
                        let Some(name) = names.get(at) else { break };
                        let value = read(name);
                        *results[at].lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
                    }
                });
            }
        });
        results
            .into_iter()
            .zip(names)
            .map(|(result, name)| {
                result
                    .into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .unwrap_or_else(|| Err(Error::on_server(name, msg!("prim-status-not-read"))))
            })
            .collect()
    }

    pub fn read_running(&self, name: &str) -> Result<bool> {
        let server = self.server(name)?;
        let command = self.command(server, &self.site.templates.status, &[]);
        let out = self.with_conn(name, |t| transport::capture(t, &command, None))?;
        self.running_from(name, &command, &out)
    }

    /// Whether the status command's output says the server runs.
    fn running_from(
        &self,
        name: &str,
        command: &Script,
        out: &transport::Captured,
    ) -> Result<bool> {
        let commands = &self.site.commands;
        let text = out.stdout.to_lowercase();
        if text.contains(&commands.stopped_marker.to_lowercase()) {
            Ok(false)
        } else if text.contains(&commands.running_marker.to_lowercase()) {
            Ok(true)
        } else {
            Err(Error::on_server(
                name,
                msg!(
                    "prim-status-unknown",
                    command = transport::first_line(command),
                    failure = out.failure()
                ),
            ))
        }
    }

    /// Writes kuroko's record on the server (or only the model, in a dry run).
    pub fn write_provenance(&self, name: &str, provenance: Option<Provenance>) -> Result<()> {
        if !self.dry_run() {
            let record = Script::guarded().set("d", KUROKO_DIR).set("f", PROVENANCE);
            match &provenance {
                Some(p) => {
                    let json = serde_json::to_string_pretty(p).expect("serialises");
                    let command = record.text(
                        r#"ownd "$d" || exit 90
t=$(mktemp "$d/.record.XXXXXX") || exit 90
if cat > "$t" && mv -fT -- "$t" "$f"; then exit 0; fi
rm -f -- "$t"; exit 91
"#,
                    );
                    self.run(
                        name,
                        &msg!("prim-doing-write-record"),
                        &command,
                        Some(json.as_bytes()),
                    )?;
                }
                None => {
                    let command = record.text("ownd \"$d\" || exit 90\nrm -f -- \"$f\"\n");
                    self.run(name, &msg!("prim-doing-clear-record"), &command, None)?;
                }
            }
        }
        self.set_state(name, |s| s.provenance = provenance);
        Ok(())
    }

    /// R11: starts again every server this run stopped and did not mark as down.
    /// Returns one line per server saying what happened.
    pub fn restart_stopped(&self) -> Vec<String> {
        self.restart(None)
    }

    /// R11 for one job of a batch: the servers in `only` (those the job stopped).
    pub fn restart_stopped_only(&self, only: &[String]) -> Vec<String> {
        self.restart(Some(only))
    }

    fn restart(&self, only: Option<&[String]>) -> Vec<String> {
        let stopped: Vec<String> = {
            let model = self.model();
            model
                .stopped
                .iter()
                .rev()
                .filter(|s| !model.down.contains(*s) && only.is_none_or(|o| o.contains(s)))
                .cloned()
                .collect()
        };
        let mut lines = Vec::new();
        for name in stopped {
            let pending = self
                .model()
                .states
                .get(&name)
                .and_then(|s| s.provenance.as_ref())
                .is_some_and(|p| p.hostinfo_pending || !p.complete);
            if pending {
                lines.push(msg!("prim-restart-left-stopped", server = name));
                continue;
            }
            match self.start_now(&name) {
                Ok(()) => lines.push(msg!("prim-restart-started", server = name)),
                Err(e) => lines.push(msg!("prim-restart-failed", server = name, error = e)),
            }
        }
        lines
    }

    /// Servers this run stopped that are still down, for the closing summary.
    pub fn still_stopped(&self) -> Vec<String> {
        self.model().stopped.clone()
    }
}

impl Runtime {
    /// A fresh private scratch folder on `name`, made by `mktemp -d` inside kuroko's own
    /// folder; its name comes back from the server, so it is checked before use.
    pub fn scratch(&self, name: &str) -> Result<crate::server_path::ServerPath> {
        let command = Script::guarded()
            .set("d", KUROKO_DIR)
            .text("ownd \"$d\" || exit 90\nmktemp -d \"$d/work.XXXXXX\"\n");
        let out = self.run(name, &msg!("prim-doing-make-scratch"), &command, None)?;
        let text = out.trim();
        let valid =
            text.strip_prefix(KUROKO_DIR).and_then(|rest| rest.strip_prefix("/work.")).is_some_and(
                |tail| !tail.is_empty() && tail.chars().all(|c| c.is_ascii_alphanumeric()),
            );
        if !valid {
            return Err(Error::on_server(
                name,
                msg!(
                    "prim-scratch-bad",
                    answer = crate::error::sanitize(text),
                    folder = KUROKO_DIR
                ),
            ));
        }
        crate::server_path::ServerPath::exact(text).map_err(|e| Error::on_server(name, e))
    }

    /// Removes a scratch folder made by `scratch` (best effort).
    pub fn drop_scratch(&self, name: &str, dir: &crate::server_path::ServerPath) {
        let command = Script::guarded()
            .set("k", dir.as_str())
            .text("nolink \"$k\" || exit 90\nrm -rf -- \"$k\"\n");
        let _ = self.run(name, &msg!("prim-doing-remove-scratch"), &command, None);
    }
}

thread_local! {
    /// The servers the batch job on this thread stopped, while one runs.
    static JOB_STOPS: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
}

/// Starts recording the servers this thread's batch job stops.
pub fn begin_job() {
    JOB_STOPS.with(|j| *j.borrow_mut() = Some(Vec::new()));
}

/// The servers this thread's batch job stopped; recording ends.
pub fn end_job() -> Vec<String> {
    JOB_STOPS.with(|j| j.borrow_mut().take()).unwrap_or_default()
}

thread_local! {
    /// The outages of the backups the batch job on this thread took.
    static JOB_OUTAGE: std::cell::Cell<Option<std::time::Duration>> = const { std::cell::Cell::new(None) };
}

/// Adds a backup's outage to the batch job running on this thread.
pub fn job_outage(outage: std::time::Duration) {
    JOB_OUTAGE.with(|o| o.set(Some(o.get().unwrap_or_default() + outage)));
}

/// The outage of the job on this thread so far, cleared.
pub fn take_job_outage() -> Option<std::time::Duration> {
    JOB_OUTAGE.with(|o| o.take())
}

/// Records a stop for the batch job running on this thread, if any.
pub fn job_stopped(name: &str) {
    JOB_STOPS.with(|j| {
        if let Some(stops) = j.borrow_mut().as_mut()
            && !stops.iter().any(|s| s == name)
        {
            stops.push(name.to_string());
        }
    });
}
