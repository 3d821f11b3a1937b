//! Stopping and starting Interstage (R4, R5, R11).

use crate::error::{Error, Result};
use crate::i18n::t_in;
use crate::msg;
use crate::rules::{Refusal, Rule};
use crate::runtime::Runtime;
use crate::site::Role;

impl Runtime {
    /// `stop_interstage(server)`: the all-forced stop (`isstop -f`) used before maintenance.
    pub fn stop_interstage(&self, name: &str) -> Result<()> {
        self.check_cancel()?;
        let (role, group) = self.role_of(name)?;
        if !self.state(name)?.running {
            self.report.note(Some(name), &msg!("prim-already-stopped"));
            return Ok(());
        }
        let mut rules = Vec::new();
        if let (Role::Member, Some(_)) = (role, &group) {
            rules.push(Rule::R4);
        }
        if let (Role::Member, Some(group)) = (role, &group) {
            self.reserve_stop(name, group)?;
        }
        self.act(name, |l| t_in(l, "act-stop", &[]), &rules)?;
        self.stop_now(name)
    }

    /// R4 checked again and the stop recorded under one lock, so that two workers of a
    /// batch (or a closure stopping another member) can never both pass it: the second
    /// sees the first's stop before it has even run.
    pub fn reserve_stop(&self, name: &str, group: &str) -> Result<()> {
        let _turn = self.r4_lock();
        self.check_r4(name, group)?;
        let mut model = self.model();
        if !model.stopped.iter().any(|s| s == name) {
            model.stopped.push(name.to_string());
        }
        Ok(())
    }

    /// `start_interstage(server)`.
    pub fn start_interstage(&self, name: &str) -> Result<()> {
        self.check_cancel()?;
        self.server(name)?;
        let state = self.state(name)?;
        if let Some(p) = state.provenance.as_ref().filter(|p| p.hostinfo_pending) {
            return Err(Refusal::new(
                Rule::R5,
                name,
                msg!(
                    "prim-r5-start-pending",
                    source = p.source_server,
                    address = p.source_address,
                    hostname = p.source_hostname,
                    backup = p.backup
                ),
                msg!("prim-r5-set-ip-first", server = name),
            )
            .into());
        }
        if let Some(p) = state.provenance.as_ref().filter(|p| !p.complete) {
            return Err(Refusal::new(
                Rule::R5,
                name,
                msg!("prim-r5-start-incomplete", backup = p.backup, source = p.source_server),
                msg!("prim-r5-start-incomplete-instead", server = name),
            )
            .into());
        }
        if state.running {
            self.report.note(Some(name), &msg!("prim-already-running"));
            return Ok(());
        }
        self.refuse_foreign_identity(name, &msg!("prim-doing-starting"))?;
        self.act(name, |l| t_in(l, "act-start", &[]), &[Rule::R5])?;
        self.start_now(name)
    }

    /// R4: stopping `name` must leave another member of `group` running, and this run
    /// must not already have another member of the group down.
    pub fn check_r4(&self, name: &str, group: &str) -> Result<()> {
        let members = self.members_of(group)?;
        let reserved: Vec<String> = self.model().stopped.clone();
        // The other members' state now, not as this run last saw it: another controller,
        // an operator or a failure may have stopped one since. One that cannot be asked
        // ends the step (nothing is stopped on a guess).
        // All of them asked at once: the same fresh reads, without waiting for each in turn.
        let others: Vec<String> =
            members.iter().filter(|m| *m != name && !reserved.contains(m)).cloned().collect();
        let states: Vec<Result<bool>> = if self.dry_run() {
            self.states_of(&others).into_iter().map(|s| s.map(|s| s.running)).collect()
        } else {
            self.read_running_all(&others)
        };
        let mut running = Vec::new();
        let mut down = Vec::new();
        for (member, now) in others.iter().zip(states) {
            if !self.dry_run()
                && let Ok(now) = now
            {
                self.set_state(member, |s| s.running = now);
            }
            if now? {
                running.push(member.clone());
            } else {
                down.push(member.clone());
            }
        }
        let stopped_here: Vec<String> = {
            let model = self.model();
            model.stopped.iter().filter(|s| *s != name && members.contains(*s)).cloned().collect()
        };
        let capacity = self.site.group_capacity;
        if let Some(other) = stopped_here.first()
            && stopped_here.len() + down.len() >= capacity
        {
            return self.refuse_unless_forced(Refusal::new(
                Rule::R4,
                name,
                msg!("prim-r4-already-stopped", other = other, group = group, capacity = capacity),
                msg!("prim-r4-already-stopped-instead", other = other),
            ));
        }
        if !running.is_empty() && down.len() >= capacity {
            return self.refuse_unless_forced(Refusal::new(
                Rule::R4,
                name,
                msg!(
                    "prim-r4-down",
                    down = down.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", "),
                    group = group,
                    capacity = capacity
                ),
                msg!("prim-r4-down-instead"),
            ));
        }
        if running.is_empty() {
            return self.refuse_unless_forced(Refusal::new(
                Rule::R4,
                name,
                msg!("prim-r4-last", server = name, group = group),
                msg!("prim-r4-last-instead"),
            ));
        }
        Ok(())
    }

    /// Runs the stop command and records the server as stopped by this run (R11).
    /// Whatever the command says, the server counts as stopped (for R4 and R11) until a
    /// fresh read shows Interstage running: a stop that "failed" may have stopped it.
    pub fn stop_now(&self, name: &str) -> Result<()> {
        if !self.dry_run() {
            let server = self.server(name)?;
            // Written ahead and synced: if kuroko dies from here on, the next kuroko finds
            // this server stopped by a run that is gone (crash-only R11). Not recorded, not
            // stopped.
            if let Err(e) = self.record_outage(name, "stopping") {
                self.model().stopped.retain(|s| s != name);
                return Err(e);
            }
            self.count_stopped(name);
            self.outage_begins(name);
            let command = self.command(server, &self.site.templates.stop, &[]);
            if let Err(e) = self.run(name, &msg!("prim-doing-stop"), &command, None) {
                if let Ok(true) = self.read_running(name) {
                    // It still runs: the stop did nothing, and the reservation goes.
                    self.model().stopped.retain(|s| s != name);
                    let _ = self.record_outage(name, "started");
                }
                return Err(match e {
                    Error::OnServer { server, message } => Error::OnServer {
                        server,
                        message: format!("{message}\n  {}", msg!("prim-stop-failed")),
                    },
                    other => other,
                });
            }
            if self.read_running(name)? {
                return Err(Error::on_server(name, msg!("prim-stop-still-running")));
            }
        }
        self.count_stopped(name);
        Ok(())
    }

    /// Counts `name` as stopped by this run: for R4, for R11, and for its batch job.
    fn count_stopped(&self, name: &str) {
        self.set_state(name, |s| s.running = false);
        crate::runtime::job_stopped(name);
        let mut model = self.model();
        if !model.stopped.iter().any(|s| s == name) {
            model.stopped.push(name.to_string());
        }
    }

    /// Runs the start command and checks that Interstage runs.
    pub fn start_now(&self, name: &str) -> Result<()> {
        if !self.dry_run() {
            let server = self.server(name)?;
            let command = self.command(server, &self.site.templates.start, &[]);
            self.run(name, &msg!("prim-doing-start"), &command, None)?;
            if !self.read_running(name)? {
                return Err(Error::on_server(name, msg!("prim-start-not-running")));
            }
            self.outage_ends(name);
            if let Err(e) = self.record_outage(name, "started") {
                self.report.warn(&msg!("prim-start-unjournaled", server = name, error = e));
            }
        }
        self.set_state(name, |s| s.running = true);
        self.model().stopped.retain(|s| s != name);
        Ok(())
    }

    /// `mark_down(server)`: the runbook leaves this server stopped on purpose (R11).
    pub fn mark_down(&self, name: &str) -> Result<()> {
        self.server(name)?;
        self.act(name, |l| t_in(l, "act-mark-down", &[]), &[Rule::R11])?;
        self.record_outage(name, "down")?;
        self.model().down.insert(name.to_string());
        Ok(())
    }

    /// Records a server going down or up in the journal, synced (none in a dry run).
    pub fn record_outage(&self, name: &str, event: &str) -> Result<()> {
        match self.journal() {
            Some(journal) if !self.dry_run() => journal.outage(name, event),
            _ => Ok(()),
        }
    }

    /// A resumed run takes over a stop the run it resumes left: it counts for R4 and R11
    /// as this run's own.
    pub fn adopt_stop(&self, name: &str) -> Result<()> {
        self.server(name)?;
        self.record_outage(name, "adopted")?;
        self.set_state(name, |s| s.running = false);
        let mut model = self.model();
        if !model.stopped.iter().any(|s| s == name) {
            model.stopped.push(name.to_string());
        }
        Ok(())
    }
}
