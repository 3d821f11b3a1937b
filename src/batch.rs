//! Fan-out: one job on many servers at once, with a bounded number in flight, rolling
//! batches, a failure policy and a per-group capacity, so a batch never takes more
//! members of a group at once than the site allows (R4, generalised). Every target ends
//! as succeeded, failed or not started, with a reason: none is skipped silently.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::report::OnServer;
use crate::runtime::Runtime;
use crate::site::{Role, suggest};

/// The default number of servers worked on at once (`--forks`).
pub const DEFAULT_FORKS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchSize {
    All,
    Count(usize),
    Percent(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    Stop,
    Continue,
    /// Stop once more than this percentage of the targets failed.
    Percent(u32),
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub forks: usize,
    pub batch: BatchSize,
    pub pause: Duration,
    pub on_failure: OnFailure,
    /// Members of one group worked on at once (the site's `group_capacity`);
    /// `None` for jobs that change nothing (status).
    pub group_capacity: Option<usize>,
}

impl Policy {
    pub fn new(group_capacity: usize) -> Policy {
        Policy {
            forks: DEFAULT_FORKS,
            batch: BatchSize::All,
            pause: Duration::ZERO,
            on_failure: OnFailure::Stop,
            group_capacity: Some(group_capacity),
        }
    }
}

impl std::str::FromStr for BatchSize {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let bad = || Error::Usage(crate::msg!("cmd-batch-size-bad", text = text));
        if let Some(percent) = text.strip_suffix('%') {
            let n: u32 = percent.trim().parse().map_err(|_| bad())?;
            if n == 0 || n > 100 {
                return Err(bad());
            }
            Ok(BatchSize::Percent(n))
        } else {
            let n: usize = text.trim().parse().map_err(|_| bad())?;
            if n == 0 { Err(bad()) } else { Ok(BatchSize::Count(n)) }
        }
    }
}

impl std::str::FromStr for OnFailure {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "stop" => Ok(OnFailure::Stop),
            "continue" => Ok(OnFailure::Continue),
            other => other
                .strip_suffix('%')
                .and_then(|p| p.trim().parse::<u32>().ok())
                .filter(|p| *p <= 100)
                .map(OnFailure::Percent)
                .ok_or_else(|| {
                    Error::Usage(crate::msg!("cmd-batch-on-failure-bad", policy = other))
                }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded(String),
    Failed(String),
    NotStarted(String),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Succeeded(_) => "succeeded",
            Outcome::Failed(_) => "failed",
            Outcome::NotStarted(_) => "not started",
        }
    }

    /// The label as the operator reads it (`label` is the key the summary counts by).
    pub fn shown(&self) -> String {
        match self {
            Outcome::Succeeded(_) => crate::msg!("cmd-outcome-succeeded"),
            Outcome::Failed(_) => crate::msg!("cmd-outcome-failed"),
            Outcome::NotStarted(_) => crate::msg!("cmd-outcome-not-started"),
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Outcome::Succeeded(d) | Outcome::Failed(d) | Outcome::NotStarted(d) => d,
        }
    }
}

/// Every target and how it ended, in target order.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub rows: Vec<(String, Outcome)>,
}

impl Summary {
    pub fn count(&self, label: &str) -> usize {
        self.rows.iter().filter(|(_, o)| o.label() == label).count()
    }

    pub fn all_succeeded(&self) -> bool {
        self.count("succeeded") == self.rows.len()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::report::{pad, width};
        let (server_heading, result_heading) =
            (crate::msg!("cmd-column-server"), crate::msg!("cmd-summary-result"));
        let servers = self.rows.iter().map(|(s, _)| width(s)).max().unwrap_or(0);
        let servers = servers.max(width(&server_heading));
        let labels = [
            Outcome::Succeeded(String::new()),
            Outcome::Failed(String::new()),
            Outcome::NotStarted(String::new()),
        ];
        let results = labels.iter().map(|o| width(&o.shown())).max().unwrap_or(0);
        let results = results.max(width(&result_heading));
        writeln!(
            f,
            "{}  {}  {}",
            pad(&server_heading, servers),
            pad(&result_heading, results),
            crate::msg!("cmd-summary-detail")
        )?;
        for (server, outcome) in &self.rows {
            let detail = crate::error::sanitize(outcome.detail()).replace('\n', " / ");
            writeln!(f, "{}  {}  {detail}", pad(server, servers), pad(&outcome.shown(), results))?;
        }
        write!(
            f,
            "{}",
            crate::msg!(
                "cmd-summary-totals",
                total = self.rows.len(),
                succeeded = self.count("succeeded"),
                failed = self.count("failed"),
                not_started = self.count("not started")
            )
        )
    }
}

/// The servers a selector names: `all`, `group:G`, `role:R`, `a,b,c` or a `*` pattern.
pub fn select(rt: &Runtime, selector: &str) -> Result<Vec<String>> {
    let site = &rt.site;
    let selector = selector.trim();
    let names = if selector == "all" {
        site.names()
    } else if let Some(group) = selector.strip_prefix("group:") {
        rt.members_of(group)?.into_iter().collect()
    } else if let Some(role) = selector.strip_prefix("role:") {
        let roles = ["admin", "member", "single", "reserve", "standalone"];
        if !roles.contains(&role) {
            let roles_named = roles.join(", ");
            return Err(Error::Usage(match suggest(role, roles.into_iter()) {
                Some(suggestion) => crate::msg!(
                    "cmd-select-unknown-role-suggest",
                    role = role,
                    suggestion = suggestion,
                    roles = roles_named
                ),
                None => crate::msg!("cmd-select-unknown-role", role = role, roles = roles_named),
            }));
        }
        let mut found = Vec::new();
        for name in site.names() {
            let (actual, _) = rt.role_of(&name)?;
            if actual.to_string() == role {
                found.push(name);
            }
        }
        found
    } else if selector.contains('*') {
        site.names()
            .into_iter()
            .filter(|n| crate::archive::matches_pattern(selector, n).is_some())
            .collect()
    } else {
        let mut found = Vec::new();
        for name in selector.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            site.server(name)?;
            if !found.iter().any(|f| f == name) {
                found.push(name.to_string());
            }
        }
        found
    };
    if names.is_empty() {
        return Err(Error::Usage(crate::msg!("cmd-select-none", selector = selector)));
    }
    Ok(names)
}

struct State {
    pending: VecDeque<String>,
    running: BTreeMap<String, usize>,
    in_flight: usize,
    failed: usize,
    stop: Option<String>,
    done: BTreeMap<String, Outcome>,
}

/// Runs `job` on every target as `policy` says and returns how each one ended.
pub fn run(
    rt: &Runtime,
    targets: &[String],
    policy: &Policy,
    job: &(dyn Fn(&str) -> Result<String> + Sync),
) -> Summary {
    let total = targets.len();
    let batch = match policy.batch {
        BatchSize::All => total,
        BatchSize::Count(n) => n,
        BatchSize::Percent(p) => (total * p as usize).div_ceil(100),
    }
    .max(1);
    let groups: BTreeMap<String, Option<String>> = targets
        .iter()
        .map(|t| {
            (
                t.clone(),
                rt.role_of(t)
                    .ok()
                    .and_then(|(role, g)| if role == Role::Member { g } else { None }),
            )
        })
        .collect();
    let state = Mutex::new(State {
        pending: VecDeque::new(),
        running: BTreeMap::new(),
        in_flight: 0,
        failed: 0,
        stop: None,
        done: BTreeMap::new(),
    });
    let wake = Condvar::new();
    rt.report.begin_batch(total);
    for (index, chunk) in targets.chunks(batch).enumerate() {
        if index > 0 && !policy.pause.is_zero() {
            let stopped = state.lock().unwrap_or_else(|e| e.into_inner()).stop.is_some();
            if !stopped {
                rt.report.note(
                    None,
                    &crate::msg!("cmd-batch-waiting", seconds = policy.pause.as_secs_f32()),
                );
                // Ctrl-C ends the wait; the workers then start nothing more.
                let _ = rt.pause(policy.pause);
            }
        }
        {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            s.pending.extend(chunk.iter().cloned());
        }
        let workers = policy.forks.max(1).min(chunk.len());
        let step = rt.step_number();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    crate::plan::side_by_side(step);
                    worker(rt, policy, total, &groups, &state, &wake, job)
                });
            }
        });
    }
    rt.report.end_batch();
    let mut s = state.into_inner().unwrap_or_else(|e| e.into_inner());
    Summary {
        rows: targets
            .iter()
            .map(|t| {
                let outcome = s.done.remove(t).unwrap_or_else(|| {
                    Outcome::NotStarted(
                        s.stop.clone().unwrap_or_else(|| crate::msg!("cmd-batch-stopped")),
                    )
                });
                (t.clone(), outcome)
            })
            .collect(),
    }
}

fn worker(
    rt: &Runtime,
    policy: &Policy,
    total: usize,
    groups: &BTreeMap<String, Option<String>>,
    state: &Mutex<State>,
    wake: &Condvar,
    job: &(dyn Fn(&str) -> Result<String> + Sync),
) {
    loop {
        let target = {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if rt.cancel.load(std::sync::atomic::Ordering::SeqCst) && s.stop.is_none() {
                    s.stop = Some(crate::msg!("cmd-batch-interrupted"));
                }
                if let Some(reason) = s.stop.clone() {
                    for target in std::mem::take(&mut s.pending) {
                        s.done.insert(target, Outcome::NotStarted(reason.clone()));
                    }
                    wake.notify_all();
                    return;
                }
                let free = |t: &String| match (&groups[t], policy.group_capacity) {
                    (Some(group), Some(capacity)) => {
                        s.running.get(group).copied().unwrap_or(0) < capacity
                    }
                    _ => true,
                };
                if let Some(index) = s.pending.iter().position(free) {
                    let target = s.pending.remove(index).expect("index is valid");
                    if let Some(group) = &groups[&target] {
                        *s.running.entry(group.clone()).or_default() += 1;
                    }
                    s.in_flight += 1;
                    break target;
                }
                if s.pending.is_empty() {
                    return;
                }
                // Every pending target waits for its group's capacity.
                s = wake
                    .wait_timeout(s, Duration::from_millis(200))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        };
        rt.report.server_started(&target);
        let result = {
            let _on = OnServer::enter(&target);
            crate::runtime::begin_job();
            let _ = crate::runtime::take_job_outage();
            rt.check_cancel().and_then(|_| job(&target))
        };
        let mut stops = crate::runtime::end_job();
        let outage = crate::runtime::take_job_outage();
        let outcome = match result {
            // A job that backed up a running server says how long it was out of service.
            Ok(detail) => Outcome::Succeeded(match outage {
                Some(outage) => crate::msg!(
                    "cmd-batch-outage",
                    detail = detail,
                    outage = format!("{:.3}", outage.as_secs_f64())
                ),
                None => detail,
            }),
            Err(error) => {
                // R11 for this job: start again what it stopped, its own server or others.
                let _on = OnServer::enter(&target);
                if !stops.contains(&target) {
                    stops.push(target.clone());
                }
                for line in rt.restart_stopped_only(&stops) {
                    rt.report.warn(&line);
                }
                Outcome::Failed(error.to_string())
            }
        };
        rt.report.server_done(&target);
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(group) = &groups[&target]
            && let Some(n) = s.running.get_mut(group)
        {
            *n -= 1;
        }
        s.in_flight -= 1;
        if let Outcome::Failed(reason) = &outcome {
            s.failed += 1;
            let stop = match policy.on_failure {
                OnFailure::Stop => Some(crate::msg!("cmd-batch-stop-first", server = target)),
                OnFailure::Continue => None,
                OnFailure::Percent(p) if s.failed * 100 > p as usize * total => {
                    Some(crate::msg!("cmd-batch-stop-percent", percent = p))
                }
                OnFailure::Percent(_) => None,
            };
            if s.stop.is_none() {
                s.stop = stop;
            }
            let _ = reason;
        }
        s.done.insert(target, outcome);
        wake.notify_all();
    }
}
