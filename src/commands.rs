//! The subcommands, each taking a validated `Command` and returning an exit code.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::batch;
use crate::cli::{Command, Operation, RunOptions};
use crate::engine;
use crate::error::{Error, ExitCode, Result};
use crate::journal;
use crate::rehearsal;
use crate::runbook::{Runbook, STDLIB};
use crate::runtime::{Options, Runtime};
use crate::site::Site;
use crate::store::Store;

/// Site-file defaults (`[params.RUNBOOK]`) under the command line's parameters.
fn with_site_params(
    site: &Site,
    runbook: &Runbook,
    mut params: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    if let Some(defaults) = site.params.get(&runbook.name) {
        for (key, value) in defaults {
            params.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    params
}

/// The first entry of a run's journal. `what` is (runbook name, origin, fingerprint).
fn start_entry(
    run: &str,
    site: &Site,
    what: (&str, &str, Option<&str>),
    params: &BTreeMap<String, String>,
    dry_run: bool,
    resumed_from: Option<String>,
) -> journal::Entry {
    let (runbook, origin, source) = what;
    journal::Entry::Start {
        run: run.to_string(),
        runbook: runbook.to_string(),
        origin: origin.to_string(),
        sha256: source.map(str::to_string).unwrap_or_default(),
        params: journal::mask_params(params),
        site: site_label(site),
        user: operator(),
        dry_run,
        resumed_from,
        at: crate::store::now(),
        pid: std::process::id(),
        host: host_name(),
        site_id: site.id.clone(),
    }
}

/// How journals name the site they belong to.
pub fn site_label(site: &Site) -> String {
    // The file's real path: the same site given as `site.toml` or `/srv/site.toml` is one.
    let file = std::fs::canonicalize(&site.file).unwrap_or_else(|_| site.file.clone());
    format!("{} ({})", site.name, file.display())
}

/// Who runs kuroko: the user behind sudo, else the login name, else the user id.
pub fn operator() -> String {
    std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            let uid =
                std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m));
            match uid {
                // The account's name from the password database, with its uid.
                Ok(uid) => match user_name(uid) {
                    Some(name) => format!("{name} (uid {uid})"),
                    None => format!("uid {uid}"),
                },
                Err(_) => "unknown".into(),
            }
        })
}

/// The name `/etc/passwd` gives `uid`, if it is a plain one.
fn user_name(uid: u32) -> Option<String> {
    let passwd = crate::archive::read_bounded(Path::new("/etc/passwd"), 16 << 20).ok()?;
    String::from_utf8_lossy(&passwd).lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 2 && fields[2] == uid.to_string())
            .then(|| fields[0].to_string())
            .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_graphic()))
    })
}

/// This machine's name, for journals and the lock's holder.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Runs a runbook with a journal; `resume` names the run it resumes and the steps that
/// run already did.
fn run_runbook(
    site: Site,
    runbook: &Runbook,
    params: BTreeMap<String, String>,
    options: &RunOptions,
    resume: Option<(String, Vec<journal::Done>)>,
) -> Result<ExitCode> {
    run_runbook_as(site, runbook, params, options, resume, None)
}

/// `require_approval = true`: changing commands other than `run --plan` are refused.
fn unplanned(site: &Site, what: &str) -> Result<()> {
    if !site.require_approval {
        return Ok(());
    }
    Err(crate::rules::Refusal::new(
        crate::rules::Rule::R11,
        "plan",
        crate::msg!("cmd-plan-required", what = what),
        crate::msg!("cmd-plan-required-instead"),
    )
    .into())
}

/// An approved plan, checked, with the runbook it runs.
struct Approved {
    plan: Arc<crate::plan::Plan>,
    path: PathBuf,
    /// sha256 of the plan file as approved.
    sha256: String,
    runbook: Runbook,
    authors: Vec<String>,
    approvers: Vec<String>,
}

fn signers(site: &Site) -> Result<PathBuf> {
    site.approval_signers.clone().ok_or_else(|| Error::Usage(crate::msg!("cmd-plan-no-signers")))
}

/// The runbook a plan names, found as `kuroko run` and `resume` find runbooks.
fn runbook_of(site: &Site, name: &str, origin: &str) -> Result<Runbook> {
    if origin.starts_with("stdlib/") {
        Runbook::find_for(&format!("stdlib:{name}"), None)
    } else {
        Runbook::find_for(origin, site.site_folder.as_deref())
    }
}

/// `kuroko run --plan PLAN`: the plan is signed by its author, approved by someone else,
/// made for this site, and its runbook, modules, parameters and site file are unchanged.
/// (The live state is compared under the site's lock, in `run_runbook_as`.)
fn approved_plan(
    site: &Site,
    path: &Path,
    runbook: Option<&str>,
    params: &BTreeMap<String, String>,
    options: &RunOptions,
) -> Result<Approved> {
    if options.dry_run {
        return Err(Error::Usage(crate::msg!("cmd-plan-no-dry-run")));
    }
    if !options.force.is_empty() {
        return Err(Error::Usage(crate::msg!("cmd-plan-no-force")));
    }
    let signers = signers(site)?;
    let (plan, sha256, authors, approvers) = crate::plan::verify_approved(path, &signers)?;
    let plan_file = path.display();
    let changed = |why: String| -> Error {
        crate::rules::Refusal::new(
            crate::rules::Rule::R11,
            "plan",
            why,
            crate::msg!("cmd-plan-new"),
        )
        .into()
    };
    if plan.site_id != site.id {
        return Err(changed(crate::msg!("cmd-plan-changed-site", plan = plan_file)));
    }
    if runbook.is_some_and(|r| r != plan.runbook && r != plan.origin) {
        return Err(Error::Usage(crate::msg!(
            "cmd-plan-other-runbook",
            plan = plan_file,
            runbook = plan.runbook
        )));
    }
    if !params.is_empty() {
        return Err(Error::Usage(crate::msg!("cmd-plan-no-params")));
    }
    let found = runbook_of(site, &plan.runbook, &plan.origin)?;
    // What the document's head says is what is checked: the site as named, the runbook
    // by its name and where it comes from.
    if plan.site != site_label(site) || found.name != plan.runbook || found.origin != plan.origin {
        return Err(changed(crate::msg!("cmd-plan-changed-head", plan = plan_file)));
    }
    if crate::check::fingerprint_with_hooks(&found, site)? != plan.fingerprints.runbook {
        return Err(changed(crate::msg!(
            "cmd-plan-changed-runbook",
            runbook = plan.origin,
            plan = plan_file
        )));
    }
    if crate::plan::params_fingerprint(&plan.params) != plan.fingerprints.params {
        return Err(changed(crate::msg!("cmd-plan-changed-params", plan = plan_file)));
    }
    if crate::plan::site_file_fingerprint(site) != plan.fingerprints.site_file {
        return Err(changed(crate::msg!(
            "cmd-plan-changed-site-file",
            site_file = site.file.display(),
            plan = plan_file
        )));
    }
    // What was fingerprinted is what runs: no script is read again, and none that the
    // fingerprint did not cover is read at all.
    found.sources.seal();
    Ok(Approved {
        plan: Arc::new(plan),
        path: path.to_path_buf(),
        sha256,
        runbook: found,
        authors,
        approvers,
    })
}

/// The generations in the store now: ids a run makes are new to this set.
fn known_generations(site: &Site) -> BTreeSet<String> {
    Store::new(site).list().0.into_iter().map(|m| m.generation).collect()
}

/// What a plan depends on in the live site: group membership, and whether Interstage
/// runs on each server the plan touches. Read fresh (a new runtime, no model).
fn live_fingerprint(site: &Site, servers: &BTreeSet<String>) -> Result<String> {
    let rt = Runtime::new(site.clone(), Options::default(), Arc::new(AtomicBool::new(false)));
    let mut text = String::new();
    for (group, members) in rt.membership()?.iter() {
        text.push_str(&format!(
            "group {group}: {}\n",
            members.iter().cloned().collect::<Vec<_>>().join(",")
        ));
    }
    for server in servers {
        let running = rt.read_running(server)?;
        text.push_str(&format!("{server}: {}\n", if running { "running" } else { "stopped" }));
    }
    Ok(crate::archive::sha256_hex(text.as_bytes()))
}

/// Evidence at the end of a run: the state of every server it acted on and the group
/// membership, read fresh from the servers (their 事後確認).
fn observe(rt: &Runtime, journal: &journal::Journal) {
    let touched = rt.touched();
    if touched.is_empty() {
        return;
    }
    // Over the run's own connections; the group list is read again, not remembered.
    rt.model().membership = None;
    let at = crate::store::now;
    match rt.membership() {
        Ok(groups) => {
            let text: Vec<String> = groups
                .iter()
                .map(|(g, m)| format!("{g}: {}", m.iter().cloned().collect::<Vec<_>>().join(" ")))
                .collect();
            journal.step(journal::Entry::Observed {
                server: String::new(),
                state: text.join("; "),
                at: at(),
            });
        }
        Err(e) => journal.step(journal::Entry::Observed {
            server: String::new(),
            state: crate::msg!("state-not-read-because", error = e),
            at: at(),
        }),
    }
    for server in touched {
        let state = match rt.read_running(&server) {
            Ok(running) => rt.state_text(&server, Some(running)),
            Err(e) => crate::msg!("state-not-read-because", error = e),
        };
        journal.step(journal::Entry::Observed { server, state, at: at() });
    }
}

/// `kuroko plan`: the dry run of a runbook, written as a procedure document and signed
/// by its author.
fn make_plan(
    site: Site,
    runbook: &str,
    params: BTreeMap<String, String>,
    output: &Path,
    html: Option<&Path>,
    key: &Path,
) -> Result<ExitCode> {
    for file in std::iter::once(output).chain(html) {
        if std::fs::symlink_metadata(file).is_ok() {
            return Err(Error::Usage(crate::msg!("cmd-plan-exists", file = file.display())));
        }
    }
    if !key.is_file() {
        return Err(Error::Usage(crate::msg!("cmd-plan-no-key", key = key.display())));
    }
    let runbook = Runbook::find_for(runbook, site.site_folder.as_deref())?;
    let params = with_site_params(&site, &runbook, params);
    if let Some(name) = params.keys().find(|k| journal::is_secret(k)) {
        return Err(Error::Usage(crate::msg!("cmd-plan-secret", name = name)));
    }
    let known = known_generations(&site);
    let options = RunOptions { dry_run: true, force: BTreeSet::new(), yes: true, wait: None };
    let rt = runtime_with(site.clone(), &options, |rt| rt.recording(known));
    engine::run(&rt, &runbook, params.clone())?;
    let actions = rt.recorded();
    let touched: BTreeSet<String> = actions
        .iter()
        .filter(|a| a.server != crate::plan::NO_SERVER)
        .map(|a| a.server.clone())
        .collect();
    let plan = crate::plan::Plan {
        format: 1,
        site: site_label(&site),
        site_id: site.id.clone(),
        runbook: runbook.name.clone(),
        origin: runbook.origin.clone(),
        fingerprints: crate::plan::Fingerprints {
            runbook: crate::check::fingerprint_with_hooks(&runbook, &site)?,
            params: crate::plan::params_fingerprint(&params),
            site_file: crate::plan::site_file_fingerprint(&site),
            live: live_fingerprint(&site, &touched)?,
        },
        params,
        lang: crate::i18n::lang().code().to_string(),
        author: site
            .approval_signers
            .as_deref()
            .map(|signers| crate::plan::principals_of_key(key, signers).join(", "))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(operator),
        created: crate::store::now(),
        actions,
    };
    fn write_new(path: &Path, text: impl AsRef<[u8]>) -> Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        std::io::Write::write_all(&mut file, text.as_ref()).map_err(|e| Error::io(path, e))
    }
    // Signed before anything is written: a key that cannot sign leaves no plan behind.
    let markdown = plan.markdown();
    let signed = crate::plan::author_signed(markdown.as_bytes(), key)?;
    write_new(output, &markdown)?;
    let signature = crate::plan::author_signature(output);
    if let Err(error) = write_new(&signature, &signed) {
        let _ = std::fs::remove_file(output);
        return Err(error);
    }
    if let Some(html) = html {
        write_new(html, plan.html(&crate::archive::sha256_hex(markdown.as_bytes())))?;
    }
    crate::say!(
        "{}",
        crate::msg!(
            "cmd-plan-written",
            plan = output.display(),
            steps = plan.actions.len(),
            servers = touched.len(),
            signature = signature.display()
        )
    );
    crate::say!("{}", crate::msg!("cmd-plan-approve-next", plan = output.display()));
    Ok(ExitCode::Success)
}

fn run_runbook_as(
    site: Site,
    runbook: &Runbook,
    params: BTreeMap<String, String>,
    options: &RunOptions,
    resume: Option<(String, Vec<journal::Done>)>,
    approved: Option<Approved>,
) -> Result<ExitCode> {
    let dry_run = options.dry_run;
    // One changing run per site at a time; a dry run changes nothing and needs no lock.
    let run_id = crate::store::new_generation();
    let resumed = resume.as_ref().map(|(run, _)| run.as_str());
    let _lock = if dry_run {
        None
    } else {
        Some(take_site(&site, &format!("run {}", runbook.name), &run_id, options.wait, resumed)?)
    };
    let start = start_entry(
        &run_id,
        &site,
        (&runbook.name, &runbook.origin, Some(&crate::check::fingerprint(runbook))),
        &params,
        dry_run,
        resume.as_ref().map(|(run, _)| run.clone()),
    );
    let cap = site.limits.journal_bytes;
    let journal =
        journal::Journal::create(&site.store, start, &journal::secret_values(&params), cap)?;
    let resumed = resume.as_ref().map(|(run, _)| run.clone());
    // An approved plan: the live site must still be what it was planned against (read
    // under the lock), and every action is checked against the plan.
    if let Some(approved) = &approved {
        let touched: BTreeSet<String> = approved
            .plan
            .actions
            .iter()
            .filter(|a| a.server != crate::plan::NO_SERVER)
            .map(|a| a.server.clone())
            .collect();
        let live = live_fingerprint(&site, &touched);
        let refusal = match live {
            Ok(live) if live == approved.plan.fingerprints.live => None,
            Ok(_) => Some(Error::from(crate::rules::Refusal::new(
                crate::rules::Rule::R11,
                "plan",
                crate::msg!("cmd-plan-live-changed"),
                crate::msg!("cmd-plan-live-changed-instead"),
            ))),
            Err(e) => Some(e),
        };
        if let Some(error) = refusal {
            journal.end(end_status(&error), Some(error.to_string()));
            return Err(error);
        }
    }
    let known = known_generations(&site);
    let plan = approved.as_ref().map(|a| a.plan.clone());
    let guard = move |rt: Runtime| match plan {
        Some(plan) => rt.guarded_by(plan, known),
        None => rt,
    };
    let (rt, replayed) = match resume {
        Some((_, steps)) => {
            let count = steps.len();
            (
                runtime_with(site, options, |rt| {
                    guard(rt.with_journal(journal).with_replay(steps))
                }),
                count,
            )
        }
        None => (runtime_with(site, options, |rt| guard(rt.with_journal(journal))), 0),
    };
    if let Some(approved) = &approved {
        if let Some(journal) = rt.journal() {
            journal.step(journal::Entry::Plan {
                path: approved.path.display().to_string(),
                sha256: approved.sha256.clone(),
                authors: approved.authors.clone(),
                approvers: approved.approvers.clone(),
            });
        }
        rt.report.note(
            None,
            &crate::msg!(
                "cmd-plan-running",
                authors = approved.authors.join(", "),
                approvers = approved.approvers.join(", ")
            ),
        );
    }
    // Refuse before touching: under the lock, a silent dry run of the whole runbook
    // against the live site first. If a rule would refuse (or the runbook is used
    // wrongly), nothing on any server is touched. A resumed run's dry run replays what
    // the earlier run did and counts the stops it took over.
    if let Some(earlier) = &resumed
        && !dry_run
        && let Err(error) = take_over(&rt, earlier)
    {
        let journal = rt.journal().expect("set above");
        journal.end(end_status(&error), Some(error.to_string()));
        return Err(error);
    }
    if !dry_run && let Err(error) = preflight(&rt, runbook, &params) {
        let journal = rt.journal().expect("set above");
        journal.end(end_status(&error), Some(error.to_string()));
        return Err(error);
    }
    // A plan runs once: it is marked as run (under the lock) when the real run begins.
    if let Some(approved) = &approved
        && let Err(error) = crate::site_lock::use_plan(&rt, &approved.sha256, &run_id)
            .and_then(|()| Store::new(&rt.site).use_plan(&approved.sha256, &run_id))
    {
        let error = match error {
            Error::Usage(why) => crate::rules::Refusal::new(
                crate::rules::Rule::R11,
                "plan",
                why,
                crate::msg!("cmd-plan-once"),
            )
            .into(),
            other => other,
        };
        let journal = rt.journal().expect("set above");
        journal.end(end_status(&error), Some(error.to_string()));
        return Err(error);
    }
    rt.report.note(
        None,
        &crate::i18n::t("run-started", &[("run", &run_id), ("runbook", &runbook.name)]),
    );
    if replayed > 0 {
        rt.report.note(None, &crate::msg!("cmd-resuming", steps = replayed));
    }
    if dry_run {
        rt.report.note(None, &crate::i18n::t("dry-run-start", &[("runbook", &runbook.name)]));
    }
    let mut result = engine::run(&rt, runbook, params);
    if approved.is_some() && result.is_ok() {
        // A runbook that caught the refusal, or skipped planned actions, still fails; what
        // it stopped is started again (R11).
        let failure = match (rt.plan_diverged(), rt.plan_left()) {
            (Some(first), _) => Some(first),
            (None, 0) => None,
            (None, left) => Some(crate::msg!("cmd-plan-left", left = left)),
        };
        if let Some(why) = failure {
            for line in rt.restart_stopped() {
                rt.report.note(None, &line);
            }
            result = Err(crate::rules::Refusal::new(
                crate::rules::Rule::R11,
                "plan",
                why,
                crate::msg!("cmd-plan-diverged-instead"),
            )
            .into());
        }
    }
    let journal = rt.journal().expect("set above");
    if !dry_run {
        observe(&rt, journal);
    }
    match &result {
        Ok(()) => journal.end("completed", None),
        Err(Error::Interrupted) => journal.end("interrupted", None),
        Err(e) => journal.end(end_status(e), Some(e.to_string())),
    }
    if result.is_err() {
        // A planned run is not resumed, and its plan does not run again.
        let note = if rt.approved_plan().is_some() {
            crate::msg!("cmd-run-failed-note-planned", run = run_id)
        } else {
            crate::msg!("cmd-run-failed-note", run = run_id)
        };
        crate::tell!("{note}");
    }
    result?;
    if dry_run {
        rt.report.note(None, &crate::i18n::t("dry-run-complete", &[("runbook", &runbook.name)]));
    } else {
        rt.report.note(
            None,
            &crate::i18n::t("run-completed", &[("runbook", &runbook.name), ("run", &run_id)]),
        );
    }
    for line in rt.overrides() {
        rt.report.note(None, &format!("  {line}"));
    }
    Ok(if rt.some_servers_failed() { ExitCode::Failed } else { ExitCode::Success })
}

/// Takes the site's lock for a changing command (run `run_id`), then refuses to go on
/// while a run that died left servers stopped (crash-only R11), except `resumed`: the run
/// being resumed, whose stops the resumption takes over.
fn take_site(
    site: &Site,
    what: &str,
    run_id: &str,
    wait: Option<std::time::Duration>,
    resumed: Option<&str>,
) -> Result<crate::store::SiteLock> {
    let lock = Store::new(site).lock(what, run_id, wait)?;
    let dead: Vec<journal::Abandoned> =
        journal::abandoned(&site.store, None, Some((&site_label(site), &site.id)))
            .into_iter()
            .filter(|a| Some(a.run.as_str()) != resumed)
            .collect();
    let dead = settle(site, dead);
    if let Some(first) = dead.first() {
        let servers: Vec<String> = dead
            .iter()
            .flat_map(|a| {
                a.servers.iter().map(move |s| {
                    crate::msg!("cmd-lock-left-server", server = s.server, at = s.at, run = a.run)
                })
            })
            .collect();
        return Err(Error::Refused(crate::rules::Refusal::new(
            crate::rules::Rule::R11,
            &first.servers[0].server,
            crate::msg!(
                "cmd-lock-dead-runs",
                runs = dead.iter().map(journal::Abandoned::describe).collect::<Vec<_>>().join("; "),
                servers = servers.join(", ")
            ),
            crate::msg!("cmd-lock-dead-runs-instead"),
        )));
    }
    if let Some(path) = journal::unreadable(&site.store).first() {
        return Err(Error::Refused(crate::rules::Refusal::new(
            crate::rules::Rule::R11,
            "-",
            crate::msg!(
                "cmd-lock-unreadable-journal",
                path = path.display(),
                mib = journal::MAX_READ >> 20
            ),
            crate::msg!("cmd-lock-unreadable-journal-instead"),
        )));
    }
    // Refused or not, nothing on a server was touched until here.
    lock_admin(site, lock, run_id, wait)
}

/// Takes both halves of the site's lock: beside the store, then on the admin server (which
/// every controller of the site passes, whatever its store). The second half is waited for
/// as long as the first, and let go before it.
fn lock_site(
    site: &Site,
    what: &str,
    run_id: &str,
    wait: Option<std::time::Duration>,
) -> Result<crate::store::SiteLock> {
    let lock = Store::new(site).lock(what, run_id, wait)?;
    lock_admin(site, lock, run_id, wait)
}

/// The admin server's half of the site's lock, taken once the store's half is held.
fn lock_admin(
    site: &Site,
    mut lock: crate::store::SiteLock,
    run_id: &str,
    wait: Option<std::time::Duration>,
) -> Result<crate::store::SiteLock> {
    let rt =
        Arc::new(Runtime::new(site.clone(), Options::default(), Arc::new(AtomicBool::new(false))));
    let holder = lock.holder().trim().to_string();
    let deadline = std::time::Instant::now() + wait.unwrap_or_default();
    let replaced = loop {
        match crate::site_lock::take(&rt, &holder) {
            Ok(replaced) => break replaced,
            Err(Error::Busy(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            Err(e) => return Err(e),
        }
    };
    let run = run_id.to_string();
    let release = rt.clone();
    lock.also_release(move || crate::site_lock::release(&release, &run));
    // A stale lock replaced from another store (another controller's site file on this
    // machine): what its dead run left stopped is in that store's journal, which this
    // run's gate does not read. It is read here, and it holds this run up the same way.
    if let Some(stale) = replaced
        && let Some((store, file)) = stale
            .split_once(", store ")
            .and_then(|(_, rest)| rest.split_once(", site file "))
            .map(|(store, rest)| {
                (store.to_string(), rest.split(", machine ").next().unwrap_or("").to_string())
            })
        && std::path::Path::new(&store) != site.store
    {
        // Whatever that site file calls the site: the servers are the ones this run uses.
        let dead = journal::abandoned(std::path::Path::new(&store), None, None);
        if let Some(first) = dead.first() {
            let servers: Vec<String> = dead
                .iter()
                .flat_map(|a| a.servers.iter().map(|s| format!("`{}`", s.server)))
                .collect();
            return Err(Error::Refused(crate::rules::Refusal::new(
                crate::rules::Rule::R11,
                &first.servers[0].server,
                crate::error::sanitize(&crate::msg!(
                    "cmd-lock-dead-elsewhere",
                    run = first.describe(),
                    site_file = file,
                    store = store,
                    servers = servers.join(", ")
                )),
                crate::error::sanitize(&crate::msg!(
                    "cmd-lock-dead-elsewhere-instead",
                    site_file = file
                )),
            )));
        }
    }
    Ok(lock)
}

/// What dead runs left stopped and is still stopped now: a server started again since
/// (by hand, by another tool) is recorded as started in that run's journal, and a run
/// whose servers all run again is closed. A server that cannot be asked still counts.
fn settle(site: &Site, dead: Vec<journal::Abandoned>) -> Vec<journal::Abandoned> {
    if dead.is_empty() {
        return dead;
    }
    let rt = Runtime::new(site.clone(), Options::default(), Arc::new(AtomicBool::new(false)));
    let mut left = Vec::new();
    for mut run in dead {
        let (running, stopped): (Vec<_>, Vec<_>) = run.servers.into_iter().partition(|s| {
            site.server(&s.server).is_ok() && rt.read_running(&s.server).unwrap_or(false)
        });
        let events: Vec<(String, String)> =
            running.iter().map(|s| (s.server.clone(), "started".to_string())).collect();
        if !events.is_empty() {
            let end = stopped.is_empty().then_some("abandoned");
            if let Err(e) = journal::close_for(&site.store, &run.run, &events, end) {
                crate::tell!(
                    "{}",
                    crate::msg!("cmd-settle-cannot-record", run = run.run, error = e)
                );
            }
        }
        if !stopped.is_empty() {
            run.servers = stopped;
            left.push(run);
        }
    }
    left
}

/// A resumed run takes over what the run it resumes left stopped, if that run died: a
/// stop the runbook made (a finished `stop_interstage`) stays and is this run's now; a
/// stop inside a step cut short is undone first (R11), unless the step was putting a
/// backup onto the server, which the resumed run does again on the stopped server.
fn take_over(rt: &Runtime, earlier: &str) -> Result<()> {
    let entries = journal::read(&rt.site.store, earlier)?;
    let left = journal::left_stopped(&entries);
    if left.is_empty() {
        return Ok(());
    }
    let mut events = Vec::new();
    for left in left {
        let name = left.server.as_str();
        if rt.site.server(name).is_err() {
            return Err(Error::Usage(crate::msg!(
                "cmd-take-over-unknown",
                run = earlier,
                server = name
            )));
        }
        let state = rt.state(name)?;
        let unfinished =
            state.provenance.as_ref().is_some_and(|p| p.hostinfo_pending || !p.complete);
        if state.running {
            rt.report.note(Some(name), &crate::msg!("cmd-take-over-running", run = earlier));
            events.push((left.server.clone(), "started".to_string()));
        } else if left.by_step || unfinished {
            rt.adopt_stop(name)?;
            rt.report.note(Some(name), &crate::msg!("cmd-take-over-stop", run = earlier));
            // The earlier run hands it over; the stop is this run's record now.
            events.push((left.server.clone(), "handed-over".to_string()));
        } else {
            rt.report.note(Some(name), &crate::msg!("cmd-take-over-start", run = earlier));
            rt.start_interstage(name)?;
            events.push((left.server.clone(), "started".to_string()));
        }
    }
    journal::close_for(&rt.site.store, earlier, &events, Some("resumed"))
}

/// Runs `runbook` as a silent dry run against the live site (reading, never changing,
/// over the run's own connections): a refusal or a usage error found there ends the real
/// run before it touches anything.
fn preflight(rt: &Runtime, runbook: &Runbook, params: &BTreeMap<String, String>) -> Result<()> {
    let dry = Arc::new(rt.rehearsal());
    let plan = rt.approved_plan();
    // A plan's rows are worded in its author's language: the dry run words them the same.
    let lang = plan.as_ref().map_or_else(crate::i18n::lang, |p| p.lang());
    let outcome = crate::i18n::with_lang(lang, || engine::execute(&dry, runbook, params.clone()))
        .and_then(|()| {
            // A dry run that left its approved plan fails, whatever the runbook caught; and
            // what it would do must be the plan's rows, every column the reviewer read.
            let diverged = dry.plan_diverged().or_else(|| {
                plan.as_ref()
                    .and_then(|p| crate::plan::first_difference(&p.actions, &dry.recorded()))
            });
            match diverged {
                Some(first) => Err(crate::rules::Refusal::new(
                    crate::rules::Rule::R11,
                    "plan",
                    first,
                    crate::msg!("cmd-plan-preflight-instead"),
                )
                .into()),
                None => Ok(()),
            }
        });
    // A plan was made from a dry run that finished: one that cannot finish now is not
    // the plan that was approved.
    if plan.is_some()
        && let Err(error) = outcome
    {
        crate::tell!("{}", crate::msg!("cmd-preflight-found", runbook = runbook.name));
        return Err(error);
    }
    match outcome {
        // A refusal, a runbook used wrongly, or a server that cannot be reached: the real
        // run would meet it too, later, with servers already stopped.
        Err(error)
            if matches!(error.exit_code(), ExitCode::Refused | ExitCode::Usage)
                || matches!(error.root(), Error::Unreachable { .. }) =>
        {
            crate::tell!("{}", crate::msg!("cmd-preflight-found", runbook = runbook.name));
            Err(error)
        }
        // A dry run that could not finish foresaw nothing: said, and each step still
        // checks its rules as it runs.
        Err(_) if dry.was_bounded() => {
            crate::tell!("{}", crate::msg!("cmd-preflight-bounds", runbook = runbook.name));
            Ok(())
        }
        Err(error) => {
            crate::tell!(
                "{}",
                crate::msg!(
                    "cmd-preflight-stopped",
                    runbook = runbook.name,
                    error = crate::error::sanitize(
                        error.to_string().lines().next().unwrap_or_default()
                    )
                )
            );
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

/// How a journal ends a run that ended with `error`.
fn end_status(error: &Error) -> &'static str {
    match error.exit_code() {
        ExitCode::Refused => "refused",
        _ if matches!(error, Error::Interrupted) => "interrupted",
        _ => "failed",
    }
}

/// A runtime for a run or a batch, with Ctrl-C wired to its cancel flag.
fn runtime_with(
    site: Site,
    options: &RunOptions,
    build: impl FnOnce(Runtime) -> Runtime,
) -> Arc<Runtime> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            crate::tell!("{}", crate::msg!("cmd-ctrlc-again"));
        } else {
            crate::tell!("{}", crate::msg!("cmd-ctrlc"));
        }
    });
    let options =
        Options { dry_run: options.dry_run, force: options.force.clone(), assume_yes: options.yes };
    Arc::new(build(Runtime::new(site, options, cancel)))
}

pub fn execute(command: Command) -> Result<ExitCode> {
    match command {
        Command::Run { site, runbook, params, options, plan: None } => {
            let site = Site::load(&site)?;
            let runbook = runbook.ok_or_else(|| Error::Usage(crate::msg!("cmd-run-no-runbook")))?;
            if !options.dry_run {
                unplanned(&site, &format!("run {runbook}"))?;
            }
            let runbook = Runbook::find_for(&runbook, site.site_folder.as_deref())?;
            let params = with_site_params(&site, &runbook, params);
            run_runbook(site, &runbook, params, &options, None)
        }
        Command::Run { site, runbook, params, options, plan: Some(path) } => {
            let site = Site::load(&site)?;
            let approved = approved_plan(&site, &path, runbook.as_deref(), &params, &options)?;
            // A planned run speaks its plan's language: what the operator reads as it goes,
            // and what is checked against the plan, are the words of the approved document.
            crate::i18n::choose(approved.plan.lang());
            let runbook = approved.runbook.clone();
            let params = approved.plan.params.clone();
            run_runbook_as(site, &runbook, params, &options, None, Some(approved))
        }
        Command::Plan { site, runbook, params, output, html, key } => {
            let site = Site::load(&site)?;
            make_plan(site, &runbook, params, &output, html.as_deref(), &key)
        }
        Command::Approve { site, plan, key } => {
            let site = Site::load(&site)?;
            let signers = signers(&site)?;
            // The approver checks the plan against their own copy of the site and runbook.
            let (_, parsed) = crate::plan::Plan::read(&plan)?;
            if parsed.site_id != site.id
                || crate::plan::site_file_fingerprint(&site) != parsed.fingerprints.site_file
            {
                return Err(Error::Usage(crate::msg!(
                    "cmd-approve-other-site",
                    plan = plan.display(),
                    site_file = site.file.display()
                )));
            }
            let runbook = runbook_of(&site, &parsed.runbook, &parsed.origin)?;
            if parsed.site != site_label(&site)
                || runbook.name != parsed.runbook
                || runbook.origin != parsed.origin
            {
                return Err(Error::Usage(crate::msg!(
                    "cmd-plan-changed-head",
                    plan = plan.display()
                )));
            }
            if crate::check::fingerprint_with_hooks(&runbook, &site)? != parsed.fingerprints.runbook
            {
                return Err(Error::Usage(crate::msg!(
                    "cmd-approve-other-runbook",
                    runbook = parsed.origin
                )));
            }
            crate::say!("{}", crate::plan::approve(&plan, &key, &signers)?);
            Ok(ExitCode::Success)
        }
        Command::Resume { site, run, options } => {
            let site = Site::load(&site)?;
            let entries = journal::read(&site.store, &run)?;
            let status = journal::status_of(&entries);
            if entries.iter().any(|e| matches!(e, journal::Entry::Start { dry_run: true, .. })) {
                return Err(Error::Usage(crate::msg!("cmd-resume-dry-run", run = run)));
            }
            if entries.iter().any(|e| matches!(e, journal::Entry::Plan { .. })) {
                return Err(crate::rules::Refusal::new(
                    crate::rules::Rule::R11,
                    "plan",
                    crate::msg!("cmd-resume-planned", run = run),
                    crate::msg!("cmd-resume-planned-instead"),
                )
                .into());
            }
            unplanned(&site, &format!("resume {run}"))?;
            if status == "resumed" {
                return Err(Error::Usage(crate::msg!("cmd-resume-resumed", run = run)));
            }
            if status == "completed" {
                return Err(Error::Usage(crate::msg!("cmd-resume-completed", run = run)));
            }
            let Some(journal::Entry::Start {
                origin,
                sha256,
                params,
                runbook: name,
                site: label,
                site_id,
                ..
            }) = entries.first().cloned()
            else {
                return Err(Error::Usage(crate::msg!("cmd-resume-no-start", run = run)));
            };
            if !journal::belongs(&label, &site_id, (&site_label(&site), &site.id)) {
                return Err(Error::Usage(crate::msg!(
                    "cmd-resume-other-site",
                    run = run,
                    site = crate::error::sanitize(&label)
                )));
            }
            // The runbook is found as `kuroko run` finds it: a stdlib one by its name only,
            // a site one through the site folder's guard, a script by its bounded path.
            let folder = site.site_folder.as_deref();
            let runbook = if origin.starts_with("stdlib/") {
                Runbook::find_for(&format!("stdlib:{name}"), None)?
            } else if let Some(folder) = folder.filter(|f| Path::new(&origin).starts_with(f)) {
                Runbook::site(&name, folder)?.ok_or_else(|| {
                    Error::Usage(crate::msg!(
                        "cmd-resume-runbook-gone",
                        run = run,
                        runbook = origin
                    ))
                })?
            } else {
                Runbook::file(&origin)?
            };
            let now = crate::check::fingerprint(&runbook);
            if now != sha256 {
                return Err(Error::Usage(crate::msg!(
                    "cmd-resume-changed",
                    runbook = runbook.origin,
                    run = run,
                    then = sha256.get(..12).unwrap_or(&sha256),
                    now = now.get(..12).unwrap_or(&now)
                )));
            }
            if params.values().any(|v| v == "***") {
                return Err(Error::Usage(crate::msg!("cmd-resume-secret", run = run)));
            }
            if let Some((key, _)) = params.iter().find(|(_, v)| journal::elided(v)) {
                return Err(Error::Usage(crate::msg!(
                    "cmd-resume-long-param",
                    run = run,
                    key = key
                )));
            }
            let replay = journal::done_steps(&entries);
            if let Some(step) =
                replay.iter().find(|d| d.value.as_deref().is_some_and(journal::elided))
            {
                return Err(Error::Usage(crate::msg!(
                    "cmd-resume-elided",
                    run = run,
                    step = format!("{}({})", step.primitive, step.args.join(", ")),
                    value = step.value.as_deref().unwrap_or_default()
                )));
            }
            run_runbook(site, &runbook, params, &options, Some((run, replay)))
        }
        Command::Report { site, run, html } => {
            let site = Site::load(&site)?;
            let entries = journal::read(&site.store, &run)?;
            crate::report::say(journal::report(&entries, html).trim_end_matches('\n'));
            Ok(ExitCode::Success)
        }
        Command::Repl { site, options } => {
            let site = Site::load(&site)?;
            unplanned(&site, "repl")?;
            let run_id = crate::store::new_generation();
            let _lock = take_site(&site, "repl", &run_id, options.wait, None)?;
            let start =
                start_entry(&run_id, &site, ("repl", "repl", None), &BTreeMap::new(), false, None);
            let cap = site.limits.journal_bytes;
            let journal = journal::Journal::create(&site.store, start, &[], cap)?;
            let rt = runtime_with(site, &options, |rt| rt.with_journal(journal));
            let result = crate::repl::run(rt.clone());
            if let Some(journal) = rt.journal() {
                journal.end(
                    if result.is_ok() { "completed" } else { "failed" },
                    result.as_ref().err().map(|e| e.to_string()),
                );
            }
            result.map(|_| ExitCode::Success)
        }
        Command::Runs { site } => {
            let site = Site::load(&site)?;
            use crate::report::{pad, width};
            let (run_heading, runbook_heading) =
                (crate::msg!("cmd-runs-run"), crate::msg!("cmd-runs-runbook"));
            let runs = width(&run_heading).max(26);
            let runbooks = width(&runbook_heading).max(14);
            crate::say!(
                "{} {} {}",
                pad(&run_heading, runs),
                pad(&runbook_heading, runbooks),
                crate::msg!("cmd-runs-status")
            );
            for (run, runbook, status) in journal::runs(&site.store) {
                crate::say!("{} {} {status}", pad(&run, runs), pad(&runbook, runbooks));
            }
            Ok(ExitCode::Success)
        }
        Command::Batch {
            site,
            targets,
            operation,
            runbook,
            params,
            forks,
            batch,
            pause,
            on_failure,
            options,
        } => {
            let site = Site::load(&site)?;
            let runbook =
                runbook.map(|r| Runbook::find_for(&r, site.site_folder.as_deref())).transpose()?;
            if let Some(runbook) = &runbook
                && !runbook.params().iter().any(|p| p.name == "server")
            {
                return Err(Error::Usage(crate::msg!(
                    "cmd-batch-no-server-param",
                    runbook = runbook.name
                )));
            }
            let op = format!("{operation:?}").to_lowercase();
            if !options.dry_run && operation != Operation::Status {
                unplanned(&site, &format!("batch {op}"))?;
            }
            let run_id = crate::store::new_generation();
            let _lock = if options.dry_run || operation == Operation::Status {
                None
            } else {
                Some(take_site(&site, &format!("batch {op}"), &run_id, options.wait, None)?)
            };
            let name = format!("batch {op}");
            let (origin, source) = match &runbook {
                Some(r) => (r.origin.clone(), Some(crate::check::fingerprint(r))),
                None => ("batch".to_string(), None),
            };
            let start = start_entry(
                &run_id,
                &site,
                (&name, &origin, source.as_deref()),
                &params,
                options.dry_run,
                None,
            );
            let cap = site.limits.journal_bytes;
            let secrets = journal::secret_values(&params);
            let journal = journal::Journal::create(&site.store, start, &secrets, cap)?;
            let rt = runtime_with(site, &options, |rt| rt.with_journal(journal));
            let targets = batch::select(&rt, &targets)?;
            // A batch of a runbook is planned first too, server by server: a refusal a
            // dry run foresees ends it before any server is touched.
            if let (false, Operation::Run, Some(runbook)) = (options.dry_run, operation, &runbook) {
                for server in &targets {
                    let mut params = params.clone();
                    params.insert("server".into(), server.to_string());
                    if let Err(error) = preflight(&rt, runbook, &params) {
                        if let Some(journal) = rt.journal() {
                            journal.end(end_status(&error), Some(error.to_string()));
                        }
                        return Err(error);
                    }
                }
            }
            let mut policy = batch::Policy::new(rt.site.group_capacity);
            policy.forks = forks;
            policy.batch = batch;
            policy.pause = pause;
            policy.on_failure = on_failure;
            let generation = crate::store::new_generation();
            let job = |server: &str| -> Result<String> {
                let _admitted =
                    rt.journal().map(|j| j.admit(&format!("batch {op}"))).transpose()?;
                let args = vec![format!("{server:?}")];
                // The journal keeps the value as the primitive gave it; the summary says it
                // in the operator's language.
                let value =
                    rt.journaled(&format!("batch {op}"), Some(server.to_string()), args, || {
                        match operation {
                            Operation::Status => rt.status(server),
                            Operation::Backup => rt.backup(server, Some(&generation)),
                            Operation::Restart => {
                                rt.stop_interstage(server)?;
                                rt.start_interstage(server)?;
                                Ok("restarted".into())
                            }
                            Operation::Run => {
                                let runbook = runbook.as_ref().expect("checked: run has a runbook");
                                let mut params = params.clone();
                                params.insert("server".into(), server.to_string());
                                engine::execute(&rt, runbook, params)
                                    .map(|_| format!("runbook `{}` completed", runbook.name))
                            }
                        }
                    })?;
                Ok(match (operation, &runbook) {
                    (Operation::Status, _) => state_shown(&value),
                    (Operation::Restart, _) => crate::msg!("cmd-batch-restarted"),
                    (Operation::Run, Some(runbook)) => {
                        crate::msg!("cmd-batch-runbook-completed", runbook = runbook.name)
                    }
                    _ => value,
                })
            };
            if operation == Operation::Status {
                policy.group_capacity = None;
            }
            let summary = batch::run(&rt, &targets, &policy, &job);
            rt.report_batch(&summary);
            // A failed batch is a failed run: R11 for every server it stopped.
            if !summary.all_succeeded() {
                for line in rt.restart_stopped() {
                    rt.report.warn(&line);
                }
            }
            // A step refused for the journal's cap fails the batch, even if a job caught it.
            let overflowed = rt.journal().and_then(|j| j.overflowed());
            if let Some(full) = &overflowed {
                rt.report.warn(&full.to_string());
            }
            if let Some(journal) = rt.journal() {
                let status = if rt.cancel.load(Ordering::SeqCst) {
                    "interrupted"
                } else if summary.all_succeeded() && overflowed.is_none() {
                    "completed"
                } else {
                    "failed"
                };
                journal.end(status, None);
            }
            if rt.cancel.load(Ordering::SeqCst) {
                return Err(Error::Interrupted);
            }
            Ok(if summary.all_succeeded() && overflowed.is_none() {
                ExitCode::Success
            } else {
                ExitCode::Failed
            })
        }
        Command::Check { site, runbooks } => {
            // With a site file, names resolve as `kuroko run` resolves them (the site's
            // own runbooks first); without one, to the stdlib or a path.
            let folder = site.filter(|s| s.is_file()).map(|s| Site::load(&s)).transpose()?;
            let folder = folder.and_then(|s| s.site_folder);
            let mut errors = Vec::new();
            for name in &runbooks {
                let runbook = Runbook::find_for(name, folder.as_deref())?;
                let found = crate::check::check(&runbook);
                if found.is_empty() {
                    crate::say!("{}", crate::msg!("cmd-check-ok", runbook = runbook.origin));
                }
                errors.extend(found);
            }
            if errors.is_empty() { Ok(ExitCode::Success) } else { Err(Error::Several(errors)) }
        }
        Command::Reference => {
            crate::report::say(crate::primitives::docs::reference().trim_end_matches('\n'));
            Ok(ExitCode::Success)
        }
        Command::Runbooks => {
            for (name, _) in STDLIB {
                let runbook = Runbook::find(name)?;
                crate::say!("{name:<12} {}", runbook.summary());
                for param in runbook.params() {
                    let kind = param.kind.as_deref().map(|k| format!(" <{k}>")).unwrap_or_default();
                    crate::say!("{:<12}   -p {}=…{kind}  {}", "", param.name, param.help);
                }
            }
            Ok(ExitCode::Success)
        }
        Command::Trust { site, servers, replace } => {
            let site = Site::load(&site)?;
            // Jump hosts first, nearest first: a server behind one is reached through it.
            let mut jumps: Vec<(&String, &crate::site::Ssh)> = site.jumps.iter().collect();
            jumps.sort_by_key(|(_, ssh)| ssh.via.len());
            let names: Vec<String> = if servers.is_empty() {
                jumps
                    .iter()
                    .map(|(name, _)| name.to_string())
                    .chain(
                        site.servers.values().filter(|s| s.ssh.is_some()).map(|s| s.name.clone()),
                    )
                    .collect()
            } else {
                servers
            };
            let mut code = ExitCode::Success;
            for name in names {
                let pinned = match site.jumps.get(&name) {
                    Some(ssh) => crate::transport::trust_host(&name, ssh, replace),
                    None => site
                        .server(&name)
                        .and_then(|server| crate::transport::trust(server, replace)),
                };
                match pinned {
                    Ok(line) => crate::say!("{line}"),
                    Err(e) => {
                        crate::tell!(
                            "{}",
                            crate::msg!(
                                "cmd-error-line",
                                error = crate::error::sanitize(&e.to_string())
                            )
                        );
                        code = ExitCode::Failed;
                    }
                }
            }
            Ok(code)
        }
        Command::Status { site } => {
            let site = Site::load(&site)?;
            let rt = Runtime::new(site, Options::default(), Arc::new(AtomicBool::new(false)));
            let mut code = ExitCode::Success;
            // Who stopped what: the run holding the lock now, and runs that died.
            let live = Store::new(&rt.site).live_run();
            let dead = journal::abandoned(
                &rt.site.store,
                live.as_deref(),
                Some((&site_label(&rt.site), &rt.site.id)),
            );
            let mut stopped_by: BTreeMap<String, String> = BTreeMap::new();
            if let Some(entries) =
                live.as_deref().and_then(|run| journal::read_quietly(&rt.site.store, run))
            {
                let live = live.as_deref().unwrap_or_default();
                for left in journal::left_stopped(&entries) {
                    stopped_by.insert(
                        left.server,
                        crate::msg!("cmd-status-stopped-live", at = left.at, run = live),
                    );
                }
            }
            for run in &dead {
                for left in &run.servers {
                    stopped_by.insert(
                        left.server.clone(),
                        crate::msg!("cmd-status-stopped-dead", at = left.at, run = run.describe()),
                    );
                }
            }
            let mut up: Vec<String> = Vec::new();
            use crate::report::{pad, width};
            let headings = [
                crate::msg!("cmd-column-server"),
                crate::msg!("cmd-column-role"),
                crate::msg!("cmd-column-group"),
                crate::msg!("cmd-column-state"),
                crate::msg!("cmd-column-address"),
            ];
            // Columns as wide as their heading, and the state's as its longest word.
            let states = width(&state_shown("running")).max(width(&state_shown("stopped")));
            let columns: Vec<usize> = [10, 11, 6, 8.max(states)]
                .iter()
                .zip(&headings)
                .map(|(least, heading)| width(heading).max(*least))
                .collect();
            crate::say!(
                "{} {} {} {} {}",
                pad(&headings[0], columns[0]),
                pad(&headings[1], columns[1]),
                pad(&headings[2], columns[2]),
                pad(&headings[3], columns[3]),
                headings[4]
            );
            // Every server asked at once; the answers shown in the site's order.
            let names = rt.site.names();
            let states = rt.read_running_all(&names);
            for (name, state) in names.into_iter().zip(states) {
                let server = rt.site.server(&name)?.clone();
                let mut running = false;
                let line = rt.role_of(&name).and_then(|(role, group)| {
                    let state = if state? { "running" } else { "stopped" }.to_string();
                    running = state == "running";
                    Ok(format!(
                        "{} {} {} {}",
                        pad(&role.to_string(), columns[1]),
                        pad(&group.unwrap_or_else(|| "-".into()), columns[2]),
                        pad(&state_shown(&state), columns[3]),
                        server.address
                    ))
                });
                match line {
                    Ok(line) => crate::say!("{} {line}", pad(&name, columns[0])),
                    Err(e) => {
                        crate::say!(
                            "{} {}",
                            pad(&name, columns[0]),
                            crate::msg!("cmd-status-unreachable", error = e)
                        );
                        code = ExitCode::Failed;
                    }
                }
                if running {
                    up.push(name.clone());
                } else if let Some(note) = stopped_by.get(&name) {
                    crate::say!("{} ^ {}", pad("", columns[0]), crate::error::sanitize(note));
                }
            }
            // A server started again since (by hand) is no longer left stopped.
            let dead: Vec<journal::Abandoned> = dead
                .into_iter()
                .filter_map(|mut run| {
                    run.servers.retain(|s| !up.contains(&s.server));
                    (!run.servers.is_empty()).then_some(run)
                })
                .collect();
            warn_abandoned(&dead);
            Ok(code)
        }
        Command::SiteImport { source, ansible, name, store, output, membership } => {
            let membership = match membership {
                Some((file, format, pattern)) => Some(crate::import::Membership {
                    text: crate::import::read_membership(&file)?,
                    format,
                    pattern,
                }),
                None => None,
            };
            crate::say!(
                "{}",
                crate::import::import(&source, ansible, &name, &store, &output, membership)?
            );
            crate::say!("{}", crate::msg!("cmd-site-import-next", site_file = output.display()));
            Ok(ExitCode::Success)
        }
        Command::SiteCheck { site } => {
            let site = Site::load(&site)?;
            site_check(site)
        }
        Command::Abandoned { site, start, acknowledge } => {
            let site = Site::load(&site)?;
            abandoned(site, start, acknowledge)
        }
        Command::BackupsPrune { site, keep_generations, keep_days, dry_run, wait } => {
            let site = Site::load(&site)?;
            // Removing backups is a change: a site that runs only approved plans does not
            // prune by hand (a dry run of it stays allowed).
            if !dry_run {
                unplanned(&site, "backups prune")?;
            }
            prune(site, keep_generations, keep_days, dry_run, wait)
        }
        Command::BackupsList { site, group } => {
            let site = Site::load(&site)?;
            if let Some(group) = &group {
                site.check_group(group)?;
            }
            let store = Store::new(&site);
            let (found, odd) = store.list();
            use crate::report::{pad, pad_start, width};
            let header = [
                crate::msg!("cmd-column-id"),
                crate::msg!("cmd-column-server"),
                crate::msg!("cmd-column-role"),
                crate::msg!("cmd-column-group"),
                crate::msg!("cmd-column-files"),
                crate::msg!("cmd-column-bytes"),
            ];
            let columns: Vec<usize> = [40, 7, 11, 6, 6, 10]
                .iter()
                .zip(&header)
                .map(|(least, heading)| width(heading).max(*least))
                .collect();
            crate::say!(
                "{} {} {} {} {} {}  {}",
                pad(&header[0], columns[0]),
                pad(&header[1], columns[1]),
                pad(&header[2], columns[2]),
                pad(&header[3], columns[3]),
                pad_start(&header[4], columns[4]),
                pad_start(&header[5], columns[5]),
                crate::msg!("cmd-column-created")
            );
            for m in found.iter().filter(|m| group.is_none() || m.group == group) {
                let set = match store.generation_state(&m.generation) {
                    crate::store::GenerationState::Incomplete => {
                        format!("  {}", crate::msg!("cmd-backups-incomplete"))
                    }
                    _ => String::new(),
                };
                crate::say!(
                    "{} {} {} {} {} {}  {}{set}",
                    pad(&m.id, columns[0]),
                    pad(&m.server, columns[1]),
                    pad(&m.role.to_string(), columns[2]),
                    pad(m.group.as_deref().unwrap_or("-"), columns[3]),
                    pad_start(&m.files.len().to_string(), columns[4]),
                    pad_start(&m.archive.size.to_string(), columns[5]),
                    m.created
                );
            }
            for (path, why) in odd {
                let text = crate::msg!("cmd-backups-unusable", path = path.display(), why = why);
                crate::tell!(
                    "{}",
                    crate::msg!("cmd-warning", prefix = "", text = crate::error::sanitize(&text))
                );
            }
            Ok(ExitCode::Success)
        }
        Command::BackupsVerify { site, ids } => {
            let site = Site::load(&site)?;
            let store = Store::new(&site);
            let mut failed = 0;
            let mut checked = 0;
            let manifests = if ids.is_empty() {
                let (found, odd) = store.list();
                for (path, why) in odd {
                    crate::say!(
                        "{}",
                        crate::msg!("cmd-verify-failed-path", path = path.display(), why = why)
                    );
                    failed += 1;
                }
                found.into_iter().map(Ok).collect::<Vec<_>>()
            } else {
                ids.iter().map(|id| store.load(id)).collect()
            };
            for manifest in manifests {
                checked += 1;
                match manifest.and_then(|m| store.verify(&m, None).map(|_| m)) {
                    Ok(m) => crate::say!(
                        "{}",
                        crate::msg!("cmd-verify-ok", id = m.id, files = m.files.len())
                    ),
                    Err(e) => {
                        crate::say!("{}", crate::msg!("cmd-verify-failed", error = e));
                        failed += 1;
                    }
                }
            }
            crate::say!(
                "{}",
                crate::msg!(
                    "cmd-verify-summary",
                    verified = checked.max(failed) - failed.min(checked),
                    failed = failed
                )
            );
            Ok(if failed > 0 { ExitCode::Failed } else { ExitCode::Success })
        }
        Command::RehearsalCreate { dir, policy } => {
            rehearsal::create(&dir, policy)?;
            crate::say!(
                "{}",
                crate::msg!(
                    "cmd-rehearsal-created",
                    dir = dir.display(),
                    servers = rehearsal::SERVERS.len(),
                    site_file = dir.join("site.toml").display()
                )
            );
            Ok(ExitCode::Success)
        }
        Command::RehearsalFail { dir, server } => {
            let root = rehearsal_root(&dir, &server)?;
            rehearsal::fail(&root)?;
            crate::say!("{}", crate::msg!("cmd-rehearsal-failed", server = server));
            Ok(ExitCode::Success)
        }
        Command::RehearsalRepair { dir, server } => {
            let root = rehearsal_root(&dir, &server)?;
            rehearsal::repair(&root, &server)?;
            crate::say!("{}", crate::msg!("cmd-rehearsal-repaired", server = server));
            Ok(ExitCode::Success)
        }
    }
}

/// A server's state as `status` reports it (`running`, `stopped`), in the operator's words.
fn state_shown(state: &str) -> String {
    match state {
        "running" => crate::msg!("cmd-state-running"),
        "stopped" => crate::msg!("cmd-state-stopped"),
        other => other.to_string(),
    }
}

fn rehearsal_root(dir: &std::path::Path, server: &str) -> Result<std::path::PathBuf> {
    let root = dir.join("servers").join(server);
    if !rehearsal::SERVERS.iter().any(|s| s.name == server) || !root.is_dir() {
        return Err(Error::Usage(crate::msg!(
            "cmd-rehearsal-no-such-server",
            dir = dir.display(),
            server = server
        )));
    }
    Ok(root)
}

/// Says, loudly, which servers runs that died left stopped and what to do.
fn warn_abandoned(dead: &[journal::Abandoned]) {
    for run in dead {
        for left in &run.servers {
            crate::tell!(
                "{}",
                crate::msg!(
                    "cmd-abandoned-warning",
                    server = left.server,
                    at = left.at,
                    run = run.describe()
                )
            );
        }
    }
    if !dead.is_empty() {
        crate::tell!(
            "  {}\n  {}",
            crate::msg!("cmd-abandoned-hint-sentence"),
            crate::msg!("cmd-abandoned-until")
        );
    }
}

/// `kuroko abandoned`: lists what dead runs left stopped; `--start` starts it again with
/// `start_interstage`'s checks, `--acknowledge` leaves it stopped on purpose. Either
/// closes the dead run's journal once every server it left is dealt with.
fn abandoned(site: Site, start: bool, acknowledge: bool) -> Result<ExitCode> {
    if !start && !acknowledge {
        let live = Store::new(&site).live_run();
        let dead =
            journal::abandoned(&site.store, live.as_deref(), Some((&site_label(&site), &site.id)));
        if dead.is_empty() {
            crate::say!("{}", crate::msg!("cmd-abandoned-none"));
            return Ok(ExitCode::Success);
        }
        for run in &dead {
            crate::say!("{}", run.describe());
            for left in &run.servers {
                let server = crate::report::pad(&left.server, 10);
                let line = if left.by_step {
                    crate::msg!("cmd-abandoned-by-step", server = server, at = left.at)
                } else {
                    crate::msg!("cmd-abandoned-cut-short", server = server, at = left.at)
                };
                crate::say!("  {line}");
            }
        }
        crate::say!("{}", crate::msg!("cmd-abandoned-hint"));
        return Ok(ExitCode::Failed);
    }
    let run_id = crate::store::new_generation();
    // Starting servers again cannot break R4: with the admin server out of reach, the
    // store's half of the lock is enough.
    let _lock = match lock_site(&site, "abandoned", &run_id, None) {
        Err(e) if matches!(e.root(), Error::Unreachable { .. } | Error::OnServer { .. }) => {
            crate::tell!(
                "{}\n  {}",
                crate::msg!("cmd-warning", prefix = "", text = e),
                crate::msg!("cmd-abandoned-store-lock")
            );
            Store::new(&site).lock("abandoned", &run_id, None)?
        }
        other => other?,
    };
    let dead = journal::abandoned(&site.store, None, Some((&site_label(&site), &site.id)));
    if dead.is_empty() {
        crate::say!("{}", crate::msg!("cmd-abandoned-none"));
        return Ok(ExitCode::Success);
    }
    let what = if start { "abandoned --start" } else { "abandoned --acknowledge" };
    let start_entry =
        start_entry(&run_id, &site, (what, what, None), &BTreeMap::new(), false, None);
    let journal =
        journal::Journal::create(&site.store, start_entry, &[], site.limits.journal_bytes)?;
    let options = RunOptions { dry_run: false, force: Default::default(), yes: false, wait: None };
    let rt = runtime_with(site, &options, |rt| rt.with_journal(journal));
    let mut code = ExitCode::Success;
    for run in &dead {
        let mut events = Vec::new();
        let mut done = true;
        for left in &run.servers {
            let name = left.server.as_str();
            if !acknowledge && rt.site.server(name).is_err() {
                crate::tell!("{}", crate::msg!("cmd-abandoned-unknown", server = name));
                done = false;
                code = ExitCode::Failed;
                continue;
            }
            let event = if acknowledge {
                rt.record_outage(name, "acknowledged")?;
                crate::say!("{}", crate::msg!("cmd-abandoned-acknowledged", server = name));
                "acknowledged"
            } else {
                let args = vec![format!("{name:?}")];
                match rt.journaled("start_interstage", Some(name.to_string()), args, || {
                    rt.start_interstage(name)
                }) {
                    Ok(()) => {
                        crate::say!("{}", crate::msg!("cmd-abandoned-started", server = name));
                        "started"
                    }
                    Err(e) => {
                        crate::tell!(
                            "{}",
                            crate::msg!("cmd-abandoned-start-failed", server = name, error = e)
                        );
                        done = false;
                        code = ExitCode::Failed;
                        continue;
                    }
                }
            };
            events.push((left.server.clone(), event.to_string()));
        }
        journal::close_for(&rt.site.store, &run.run, &events, done.then_some("abandoned"))?;
        if !done {
            crate::tell!("  {}", crate::msg!("cmd-abandoned-still", run = run.run));
        }
    }
    if let Some(journal) = rt.journal() {
        journal.end(if code == ExitCode::Success { "completed" } else { "failed" }, None);
    }
    Ok(code)
}

/// `kuroko backups prune`: removes the backups a retention policy lets go, never the
/// newest complete generation, a backup a kept one needs for R7 (an admin-server backup
/// of the same definitions), nor the backup a server's resources came from (its record).
fn prune(
    site: Site,
    keep_generations: Option<usize>,
    keep_days: Option<u64>,
    dry_run: bool,
    wait: Option<std::time::Duration>,
) -> Result<ExitCode> {
    use std::collections::BTreeSet;
    let run_id = crate::store::new_generation();
    let _lock =
        if dry_run { None } else { Some(take_site(&site, "backups prune", &run_id, wait, None)?) };
    let store = Store::new(&site);
    if !dry_run {
        store.finish_removals();
    }
    let ledger =
        store.ledger().map_err(|e| Error::Usage(crate::msg!("cmd-prune-no-ledger", error = e)))?;
    let (found, _) = store.list();
    // This site's backups only: another sharing the store keeps its own.
    let ours: Vec<crate::manifest::Manifest> = found
        .into_iter()
        .filter(|m| if m.site_id.is_empty() { m.site == site.name } else { m.site_id == site.id })
        .collect();
    let now = std::time::SystemTime::now();
    // When a backup was taken, if that can be believed: a time that cannot be read, or
    // that lies ahead (a wrong clock, an edited manifest), never counts as newest.
    let taken = |m: &crate::manifest::Manifest| {
        humantime::parse_rfc3339_weak(m.created.trim_end_matches('Z'))
            .ok()
            .filter(|t| *t <= now + std::time::Duration::from_secs(3600))
    };
    let rt = Runtime::new(site.clone(), Options::default(), Arc::new(AtomicBool::new(false)));
    let membership =
        rt.membership().map_err(|e| Error::Usage(crate::msg!("cmd-prune-no-groups", error = e)))?;
    // Generations newest first (by the latest believable time of their backups).
    let mut generations: Vec<(String, Option<std::time::SystemTime>)> = Vec::new();
    for m in &ours {
        let time = taken(m);
        match generations.iter_mut().find(|(g, _)| *g == m.generation) {
            Some((_, t)) => *t = if t.is_none() || time.is_none() { None } else { (*t).max(time) },
            None => generations.push((m.generation.clone(), time)),
        }
    }
    generations.sort_by_key(|g| std::cmp::Reverse(g.1));
    // A whole set: marked complete, or (unmarked: backups taken one by one, or before the
    // ledger) holding the admin server, every group that has members, and every
    // single-operation server.
    let covers = |g: &str| {
        let of: Vec<&crate::manifest::Manifest> =
            ours.iter().filter(|m| m.generation == g).collect();
        of.iter().any(|m| m.role == crate::site::Role::Admin)
            && membership
                .iter()
                .filter(|(_, members)| !members.is_empty())
                .all(|(group, _)| of.iter().any(|m| m.group.as_deref() == Some(group.as_str())))
            && rt
                .site
                .servers
                .values()
                .filter(|s| s.role == crate::site::Role::Single)
                .all(|s| of.iter().any(|m| m.server == s.name))
    };
    let complete: Vec<&String> = generations
        .iter()
        .filter(|(_, time)| time.is_some())
        .map(|(g, _)| g)
        .filter(|g| match ledger.get(g.as_str()).map(String::as_str) {
            Some("complete") => true,
            Some(_) => false,
            None => covers(g),
        })
        .collect();
    let Some(newest) = complete.first() else {
        return Err(Error::Usage(crate::msg!("cmd-prune-no-complete")));
    };
    // The newest complete set must be usable (R8) before anything older goes.
    for m in ours.iter().filter(|m| m.generation == **newest) {
        store.verify(m, None).map_err(|e| {
            Error::Usage(crate::msg!("cmd-prune-newest-bad", generation = newest, error = e))
        })?;
    }
    let mut keep: BTreeMap<String, String> = BTreeMap::new();
    for m in ours.iter().filter(|m| m.generation == **newest) {
        keep.insert(m.id.clone(), crate::msg!("cmd-prune-keep-newest-generation"));
    }
    for m in ours.iter().filter(|m| taken(m).is_none()) {
        keep.insert(m.id.clone(), crate::msg!("cmd-prune-keep-time"));
    }
    // Whatever the policy, the newest backup of the admin server, of each group and of
    // each single-operation server stays.
    // (A set begun and never finished is no candidate: it was marked as failed.)
    // Keyed as before; the value holds why it is kept, in the operator's language.
    let mut newest_of: BTreeMap<String, (String, &crate::manifest::Manifest)> = BTreeMap::new();
    for m in
        ours.iter().filter(|m| ledger.get(&m.generation).is_none_or(|state| state == "complete"))
    {
        let (key, why) = match (&m.role, &m.group) {
            (crate::site::Role::Admin, _) => {
                ("the admin server".to_string(), crate::msg!("cmd-prune-keep-newest-admin"))
            }
            (_, Some(group)) => (
                format!("group `{group}`"),
                crate::msg!("cmd-prune-keep-newest-group", group = group),
            ),
            _ => (
                format!("`{}`", m.server),
                crate::msg!("cmd-prune-keep-newest-server", server = m.server),
            ),
        };
        let newer = newest_of.get(&key).is_none_or(|(_, n)| taken(m) > taken(n));
        if newer {
            newest_of.insert(key, (why, m));
        }
    }
    for (_, (why, m)) in newest_of {
        keep.entry(m.id.clone()).or_insert(why);
    }
    if let Some(n) = keep_generations {
        for g in complete.iter().take(n) {
            for m in ours.iter().filter(|m| m.generation == **g) {
                keep.entry(m.id.clone())
                    .or_insert_with(|| crate::msg!("cmd-prune-keep-generations", count = n));
            }
        }
    }
    if let Some(days) = keep_days {
        for m in &ours {
            let age =
                taken(m).and_then(|t| now.duration_since(t).ok()).map(|d| d.as_secs() / 86_400);
            if age.is_none_or(|age| age < days) {
                keep.entry(m.id.clone())
                    .or_insert_with(|| crate::msg!("cmd-prune-keep-days", days = days));
            }
        }
    }
    // The backup each server's resources came from, from the server's own record.
    for name in site.names() {
        let state = rt.state(&name).map_err(|e| {
            Error::Usage(crate::msg!("cmd-prune-no-record", server = name, error = e))
        })?;
        if let Some(p) = state.provenance
            && ours.iter().any(|m| m.id == p.backup)
        {
            keep.insert(p.backup.clone(), crate::msg!("cmd-prune-keep-source", server = name));
        }
    }
    // R7: every kept managed backup keeps an admin-server backup of its definitions.
    let kept_ids: BTreeSet<String> = keep.keys().cloned().collect();
    for m in ours.iter().filter(|m| kept_ids.contains(&m.id) && m.role != crate::site::Role::Admin)
    {
        let admins = ours
            .iter()
            .filter(|a| a.role == crate::site::Role::Admin && a.definitions == m.definitions);
        if admins.clone().any(|a| keep.contains_key(&a.id)) {
            continue;
        }
        if let Some(admin) = admins.max_by(|a, b| a.created.cmp(&b.created)) {
            keep.insert(admin.id.clone(), crate::msg!("cmd-prune-keep-r7", id = m.id));
        }
    }
    let removable: Vec<&crate::manifest::Manifest> =
        ours.iter().filter(|m| !keep.contains_key(&m.id)).collect();
    for m in ours.iter().filter(|m| keep.contains_key(&m.id)) {
        let id = crate::report::pad(&m.id, 40);
        crate::say!("{}", crate::msg!("cmd-prune-keep", id = id, why = keep[&m.id]));
    }
    if dry_run {
        for m in &removable {
            let id = crate::report::pad(&m.id, 35);
            crate::say!(
                "{}",
                crate::msg!(
                    "cmd-prune-would-remove",
                    id = id,
                    server = m.server,
                    created = m.created
                )
            );
        }
        crate::say!(
            "{}",
            crate::msg!("cmd-prune-dry-run", removed = removable.len(), kept = keep.len())
        );
        return Ok(ExitCode::Success);
    }
    let mut params = BTreeMap::new();
    if let Some(n) = keep_generations {
        params.insert("keep_generations".to_string(), n.to_string());
    }
    if let Some(d) = keep_days {
        params.insert("keep_days".to_string(), d.to_string());
    }
    let start =
        start_entry(&run_id, &site, ("backups prune", "backups prune", None), &params, false, None);
    let journal = journal::Journal::create(&site.store, start, &[], site.limits.journal_bytes)?;
    let mut code = ExitCode::Success;
    for m in &removable {
        let started = crate::store::now();
        let result = store.remove(&m.id);
        journal.step(journal::Entry::Step {
            seq: journal.next_seq(),
            server: Some(m.server.clone()),
            primitive: "remove_backup".into(),
            args: vec![format!("{:?}", m.id)],
            result: if result.is_ok() { "ok".into() } else { "failed".into() },
            value: None,
            error: result.as_ref().err().map(|e| e.to_string()),
            started,
            ended: crate::store::now(),
        });
        match result {
            Ok(()) => {
                let id = crate::report::pad(&m.id, 40);
                crate::say!(
                    "{}",
                    crate::msg!(
                        "cmd-prune-removed",
                        id = id,
                        server = m.server,
                        created = m.created
                    )
                );
            }
            Err(e) => {
                crate::tell!("{}", crate::msg!("cmd-prune-remove-failed", id = m.id, error = e));
                code = ExitCode::Failed;
            }
        }
    }
    store.tidy_ledger();
    journal.end(if code == ExitCode::Success { "completed" } else { "failed" }, None);
    crate::say!(
        "{}",
        crate::msg!("cmd-prune-summary", removed = removable.len(), kept = keep.len())
    );
    Ok(code)
}

/// `kuroko site check`: every difference between the site file and the live site.
fn site_check(site: Site) -> Result<ExitCode> {
    let rt = Runtime::new(site, Options::default(), Arc::new(AtomicBool::new(false)));
    let mut differences = Vec::new();
    let source = rt.membership_source();
    match rt.membership() {
        Ok(membership) => {
            for (group, members) in membership.iter() {
                if !rt.site.groups.contains(group) {
                    differences.push(crate::msg!(
                        "cmd-site-check-extra-group",
                        group = group,
                        members = members.len()
                    ));
                }
            }
        }
        Err(e) => differences.push(crate::msg!("cmd-site-check-no-groups", error = e)),
    }
    for name in rt.site.names() {
        if let Ok(live) = rt.live_role_of(&name)
            && let Some(difference) = rt.differs(&name, &live)
        {
            differences.push(difference);
        }
        if let Err(e) = rt.status(&name) {
            differences.push(crate::msg!("cmd-site-check-no-state", server = name, error = e));
        }
    }
    for difference in &differences {
        crate::say!(
            "{}",
            crate::msg!(
                "cmd-site-check-difference",
                difference = crate::error::sanitize(difference)
            )
        );
    }
    if differences.is_empty() {
        crate::say!("{}", crate::msg!("cmd-site-check-matches", source = source));
        Ok(ExitCode::Success)
    } else {
        crate::say!(
            "{}",
            crate::msg!("cmd-site-check-differences", count = differences.len(), source = source)
        );
        Ok(ExitCode::Failed)
    }
}
