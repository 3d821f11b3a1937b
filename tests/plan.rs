//! Procedure documents (手順書): `kuroko plan` writes the dry run as numbered steps with
//! the state expected before and after, signed by its author; `kuroko approve` is a
//! second person's SSH signature; `kuroko run --plan` runs exactly what was approved.

use std::fs;
use std::path::PathBuf;

use crate::sshd::keygen;
use crate::support::{Site, assert_unchanged};

/// A rehearsal site whose approvers are alice and bob, with a backup to expand from.
struct Planning {
    site: Site,
    alice: PathBuf,
    bob: PathBuf,
}

impl Planning {
    fn new() -> Planning {
        let site = Site::new();
        let keys = site.temp.path().join("keys");
        fs::create_dir_all(&keys).unwrap();
        let (alice, bob, carol) = (keys.join("alice"), keys.join("bob"), keys.join("carol"));
        let mut signers = String::new();
        for (name, key) in [("alice", &alice), ("bob", &bob), ("carol", &carol)] {
            keygen(key);
            if name != "carol" {
                let public = fs::read_to_string(key.with_extension("pub")).unwrap();
                let fields: Vec<&str> = public.split_whitespace().take(2).collect();
                signers.push_str(&format!("{name} {}\n", fields.join(" ")));
            }
        }
        fs::write(site.dir().join("approvers"), signers).unwrap();
        let text = fs::read_to_string(site.site_file()).unwrap();
        fs::write(site.site_file(), format!("approval_signers = \"approvers\"\n{text}")).unwrap();
        site.kuroko(&["run", "backup-site"]).success();
        Planning { site, alice, bob }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.site.temp.path().join(name)
    }

    /// `kuroko plan RUNBOOK PARAMS -o NAME --key alice`.
    fn plan(&self, name: &str, runbook: &str, params: &[&str]) -> crate::support::Run {
        let args = self.plan_args(name, runbook, params, None);
        self.site.kuroko(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// The arguments of `kuroko plan RUNBOOK PARAMS -o NAME [--html HTML] --key alice`.
    fn plan_args(
        &self,
        name: &str,
        runbook: &str,
        params: &[&str],
        html: Option<&str>,
    ) -> Vec<String> {
        let mut args = vec!["plan".to_string(), runbook.to_string(), "-o".into()];
        args.push(self.path(name).to_string_lossy().into_owned());
        for param in params {
            args.extend(["-p".to_string(), param.to_string()]);
        }
        if let Some(html) = html {
            args.extend(["--html".to_string(), self.path(html).to_string_lossy().into_owned()]);
        }
        args.extend(["--key".to_string(), self.alice.to_string_lossy().into_owned()]);
        args
    }

    fn approve(&self, name: &str, key: &std::path::Path) -> crate::support::Run {
        let plan = self.path(name);
        self.site.kuroko(&["approve", plan.to_str().unwrap(), "--key", key.to_str().unwrap()])
    }

    fn run(&self, name: &str) -> crate::support::Run {
        let plan = self.path(name);
        self.site.kuroko(&["run", "--plan", plan.to_str().unwrap()])
    }

    /// A refusal that changes nothing on any server or in the store's backups.
    fn refused_unchanged(&self, name: &str, why: &str) {
        let before = self.site.snapshot();
        let run = self.run(name).code(3);
        assert!(run.stderr.contains(why), "stderr lacks {why:?}:\n{}", run.stderr);
        assert_unchanged(&before, &self.site.snapshot());
    }
}

#[test]
fn the_plan_of_expand_follows_the_manuals_steps_and_runs_once_approved_by_another() {
    let p = Planning::new();
    let html = p.path("expand.html");
    let out = p.path("expand.md");
    let args =
        p.plan_args("expand.md", "expand", &["group=G1", "server=rs-01"], Some("expand.html"));
    p.site
        .kuroko(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .success()
        .stdout_has("signed by its author");
    let md = fs::read_to_string(&out).unwrap();
    // The manual's steps (§2.1): back up a member with the admin server, import into the
    // reserve server, change its server-specific information, add it to the group.
    let order = [
        "`ms-01` | running, member of G1 | stop Interstage for the backup | stopped, member of G1 | R4, R7 | ☐",
        "`rs-01` | stopped, reserve | import backup `(new)/ms-01` from `ms-01` of group `G1`",
        "`rs-01` | stopped, reserve | change server-specific information: 192.0.2.11 -> 192.0.2.21",
        "`rs-01` | stopped, reserve | start Interstage | running, reserve | R5",
        "`adm` | running, admin | add `rs-01` to group `G1` | running, admin | R2, R5, R10 | ☐",
    ];
    let mut at = 0;
    for line in order {
        let found = md[at..].find(line).unwrap_or_else(|| panic!("no {line:?} after {at}:\n{md}"));
        at += found + line.len();
    }
    assert!(md.contains("§2.1 step 2") && md.contains("§2.1 step 3"), "{md}");
    assert!(md.contains("| author | alice ("), "{md}");
    assert!(
        md.contains("| check before (事前確認) | action (実施) | check after (事後確認) |"),
        "{md}"
    );
    let page = fs::read_to_string(&html).unwrap();
    assert!(page.contains("size: A4") && page.contains("事前確認") && page.contains("☐"), "{page}");
    // Nothing ran: the plan is a dry run.
    assert_eq!(p.site.state("rs-01"), "stopped");

    // Not approved, approved by its author, then by bob.
    p.refused_unchanged("expand.md", "is not approved");
    p.approve("expand.md", &p.alice).code(3).stderr_has("four eyes");
    assert!(!p.path("expand.md.approval.sig").exists());
    let carol = p.site.temp.path().join("keys/carol");
    p.approve("expand.md", &carol).code(3).stderr_has("not one of the approvers");
    p.approve("expand.md", &p.bob).success().stdout_has("approved by bob");
    // The approval is OpenSSH's own format: ssh-keygen verifies it.
    let verified = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "kuroko-approval", "-I", "bob", "-f"])
        .arg(p.site.dir().join("approvers"))
        .arg("-s")
        .arg(p.path("expand.md.approval.sig"))
        .stdin(fs::File::open(&out).unwrap())
        .output()
        .unwrap();
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let run = p.run("expand.md").success();
    assert!(run.stdout.contains("written by alice and approved by bob"), "{}", run.stdout);
    assert_eq!(p.site.state("rs-01"), "running");
    assert!(p.site.group_definitions().contains("member G1 rs-01"));
    // Run again, the site is no longer what was planned.
    p.refused_unchanged("expand.md", "the live site changed");
}

#[test]
fn a_tampered_plan_a_changed_runbook_module_or_membership_is_refused_and_changes_nothing() {
    let p = Planning::new();
    // A site runbook that imports a module.
    let folder = p.site.temp.path().join("rb");
    fs::create_dir_all(&folder).unwrap();
    fs::write(folder.join("helpers.rhai"), "fn which() { \"ss-01\" }\n").unwrap();
    fs::write(
        folder.join("cycle.rhai"),
        "import \"helpers\" as h;\nstep(\"cycle ss-01\");\nstop_interstage(h::which());\nstart_interstage(h::which());\n",
    )
    .unwrap();
    let runbook = folder.join("cycle.rhai");
    let runbook = runbook.to_str().unwrap();
    for name in ["a.md", "b.md", "c.md", "d.md"] {
        p.plan(name, runbook, &[]).success();
        p.approve(name, &p.bob).success();
    }
    // a: one byte of the plan changed after approval.
    let text = fs::read_to_string(p.path("a.md")).unwrap();
    fs::write(p.path("a.md"), text.replacen("stop Interstage", "stop  Interstage", 1)).unwrap();
    p.refused_unchanged("a.md", "its text was edited");
    // a2: the same change made in the plan's data too, so the text agrees with it: the
    // signatures no longer match.
    let tampered = fs::read_to_string(p.path("a.md")).unwrap();
    fs::write(p.path("a.md"), tampered.replace("stop  Interstage", "stop Interstage")).unwrap();
    let run = p.path("a.md");
    let text = fs::read_to_string(&run).unwrap();
    fs::write(&run, text.replace("cycle ss-01", "cycle ss-01!")).unwrap();
    p.refused_unchanged("a.md", "does not match the plan");
    // b: the runbook changed.
    let original = fs::read_to_string(folder.join("cycle.rhai")).unwrap();
    fs::write(folder.join("cycle.rhai"), format!("{original}// edited\n")).unwrap();
    p.refused_unchanged("b.md", "a module it imports or the site's hooks changed");
    fs::write(folder.join("cycle.rhai"), &original).unwrap();
    // c: the module it imports changed.
    fs::write(folder.join("helpers.rhai"), "fn which() { \"ss-01\" }\n// edited\n").unwrap();
    p.refused_unchanged("c.md", "a module it imports or the site's hooks changed");
    fs::write(folder.join("helpers.rhai"), "fn which() { \"ss-01\" }\n").unwrap();
    // d: the group membership on the admin server changed.
    let conf = p.site.root("adm").join("etc/opt/FJSVisgui/site/groups.conf");
    let groups = fs::read_to_string(&conf).unwrap();
    fs::write(&conf, groups.replace("member G2 ms-04\n", "")).unwrap();
    p.refused_unchanged("d.md", "the live site changed");
    fs::write(&conf, &groups).unwrap();
    // And with everything as it was, d runs; once.
    p.run("d.md").success();
    p.refused_unchanged("d.md", "has run already");
    // An override the approver did not see is not taken.
    let plan = p.path("a.md");
    p.site.kuroko(&["run", "--plan", plan.to_str().unwrap(), "--force", "R4"]).code(2);
}

#[test]
fn a_run_that_would_leave_its_plan_is_stopped_by_r11_before_it_touches_anything() {
    let p = Planning::new();
    // What this runbook does depends on a file the plan's fingerprints do not cover.
    fs::create_dir_all(p.site.root("ss-01").join("var/tmp")).unwrap();
    let choice = p.site.root("ss-01").join("var/tmp/choice");
    fs::write(&choice, "cycle\n").unwrap();
    let runbook = p.path("choose.rhai");
    fs::write(
        &runbook,
        "let c = read_file(\"ss-01\", \"var/tmp/choice\");\n\
         if c.contains(\"cycle\") { stop_interstage(\"ss-01\"); start_interstage(\"ss-01\"); }\n\
         else { backup(\"ss-01\"); }\n",
    )
    .unwrap();
    p.plan("choose.md", runbook.to_str().unwrap(), &[]).success();
    p.approve("choose.md", &p.bob).success();
    fs::write(&choice, "backup\n").unwrap();
    let before = p.site.snapshot();
    let run = p.run("choose.md").code(3);
    assert!(run.stderr.contains("refused by R11"), "{}", run.stderr);
    assert!(run.stderr.contains("which the approved plan does not have"), "{}", run.stderr);
    assert_unchanged(&before, &p.site.snapshot());
    assert_eq!(p.site.state("ss-01"), "running");
    // A runbook that catches the refusal and goes on still fails, before touching anything.
    fs::write(&choice, "cycle\n").unwrap();
    fs::write(
        &runbook,
        "let c = read_file(\"ss-01\", \"var/tmp/choice\");\n\
         if c.contains(\"cycle\") { stop_interstage(\"ss-01\"); start_interstage(\"ss-01\"); }\n\
         else { try { backup(\"ss-01\"); } catch (e) { print(\"caught\"); } }\n",
    )
    .unwrap();
    p.plan("catch.md", runbook.to_str().unwrap(), &[]).success();
    p.approve("catch.md", &p.bob).success();
    fs::write(&choice, "backup\n").unwrap();
    let before = p.site.snapshot();
    p.run("catch.md").code(3).stderr_has("which the approved plan does not have");
    assert_unchanged(&before, &p.site.snapshot());
}

#[test]
fn a_site_that_requires_approval_runs_no_changing_runbook_without_a_plan() {
    let p = Planning::new();
    let text = fs::read_to_string(p.site.site_file()).unwrap();
    fs::write(p.site.site_file(), format!("require_approval = true\n{text}")).unwrap();
    let before = p.site.snapshot();
    p.site.kuroko(&["run", "backup-site"]).code(3).stderr_has("require_approval");
    assert_unchanged(&before, &p.site.snapshot());
    p.site.kuroko(&["run", "backup-site", "--dry-run"]).success();
    // Other changing commands are held to it too.
    p.site.kuroko(&["batch", "all", "restart"]).code(3).stderr_has("require_approval");
    p.site.kuroko(&["repl"]).code(3).stderr_has("require_approval");
    p.site.kuroko(&["batch", "all", "status"]).success();
    // A dry run is never resumed into a real one.
    p.site.kuroko(&["run", "backup-site", "--dry-run"]).success();
    let dry = p.site.last_run();
    p.site.kuroko(&["resume", &dry]).code(2).stderr_has("was a dry run");
    assert_unchanged(&before, &p.site.snapshot());
    p.plan("site.md", "backup-site", &[]).success();
    p.approve("site.md", &p.bob).success();
    p.run("site.md").success();
    // Without approvers, requiring approval is a site-file error.
    let text = fs::read_to_string(p.site.site_file()).unwrap();
    fs::write(p.site.site_file(), text.replace("approval_signers = \"approvers\"\n", "")).unwrap();
    p.site.kuroko(&["status"]).code(2).stderr_has("approval_signers");
}

#[test]
fn the_plan_of_recover_follows_the_manuals_steps() {
    let p = Planning::new();
    let dir = p.site.dir();
    let dir = dir.to_str().unwrap();
    p.site.kuroko(&["rehearsal", "fail", dir, "ms-02"]).success();
    p.site.kuroko(&["rehearsal", "repair", dir, "ms-02"]).success();
    p.plan("recover.md", "recover", &["server=ms-02"]).success();
    let md = fs::read_to_string(p.path("recover.md")).unwrap();
    // §2.2: delete the failed server from its group, restore a backup onto it, change its
    // server-specific information and start it, add it back to the group.
    let order = [
        "(§2.2 step 3) | `adm` | running, admin | delete `ms-02` from group `G1`",
        // The step the operator does by hand is in the document too.
        "(§2.2 step 4) | `-` | - | MANUAL STEP: repair ms-02 (hardware, OS, Interstage) so that it is reachable again | - | - | ☐",
        "(§2.2 step 4) | `ms-02` | stopped, reserve | restore backup `",
        "| change server-specific information: 192.0.2.11 -> 192.0.2.12",
        "| start Interstage | running, reserve | R5 | ☐",
        "(§2.2 step 5) | `adm` | running, admin | add `ms-02` to group `G1` | running, admin | R2, R5, R10 | ☐",
    ];
    let mut at = 0;
    for line in order {
        let found = md[at..].find(line).unwrap_or_else(|| panic!("no {line:?} after {at}:\n{md}"));
        at += found + line.len();
    }
}

#[test]
fn the_report_of_a_planned_run_is_evidence_of_every_change() {
    let p = Planning::new();
    p.plan("expand.md", "expand", &["group=G1", "server=rs-01"]).success();
    p.approve("expand.md", &p.bob).success();
    p.run("expand.md").success();
    let run = p.site.last_run();
    let report = p.site.kuroko(&["report", &run]).success().stdout;
    assert!(report.contains("**author (作成者)**: alice"), "{report}");
    assert!(report.contains("**approver (承認者)**: bob"), "{report}");
    assert!(report.contains("**plan (手順書)**"), "{report}");
    assert!(report.contains("groups at the end ("), "{report}");
    // The narration is kept as text, not as a size and a hash.
    assert!(report.contains("step(\"back up member ms-01"), "{report}");
    let evidence = report.split("## Evidence (エビデンス)").nth(1).expect("an evidence table");
    let rows: Vec<&str> =
        evidence.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| #")).collect();
    // Every changing step of the plan, each with what was observed before and after.
    assert_eq!(rows.len(), 10, "{evidence}");
    for row in &rows {
        let cells: Vec<&str> = row.split(" | ").collect();
        assert!(cells[4].starts_with("running") || cells[4].starts_with("stopped"), "{row}");
        assert!(cells[6].starts_with("running") || cells[6].starts_with("stopped"), "{row}");
        assert!(row.ends_with("☑ |"), "{row}");
    }
    assert!(evidence.contains("| ms-01 | running, member of G1 | stop Interstage for the backup | stopped, member of G1 |"), "{evidence}");
    // The backup used, by its sha256.
    let import = rows.iter().find(|r| r.contains("import backup")).unwrap();
    assert!(import.contains("sha256 "), "{import}");
    assert!(
        evidence.contains("| rs-01 | stopped, reserve | change server-specific information"),
        "{evidence}"
    );
    let html = p.site.kuroko(&["report", &run, "--html"]).success().stdout;
    assert!(html.contains("size: A4") && html.contains("エビデンス"), "{html}");
}

/// A plan is written in its author's language and runs whatever the language of the
/// person who runs it: what is checked is the action, not the words around it.
#[test]
fn a_plan_written_in_japanese_is_approved_and_run_in_english() {
    let p = Planning::new();
    let out = p.path("ja.md");
    let html = p.path("ja.html");
    let args = p.plan_args("ja.md", "expand", &["group=G1", "server=rs-01"], Some("ja.html"));
    p.site
        .kuroko_in_locale("ja_JP.UTF-8", &args.iter().map(String::as_str).collect::<Vec<_>>())
        .success();
    let md = fs::read_to_string(&out).unwrap();
    assert!(md.starts_with("# 手順書: expand"), "{md}");
    assert!(md.contains("| 事前確認 | 実施 | 事後確認 | 規則 | 確認 |"), "{md}");
    assert!(md.contains("| 作成者 | alice ("), "{md}");
    // The manual's terms in the steps.
    assert!(md.contains("リザーブサーバ rs-01 に移入します"), "{md}");
    assert!(!md.contains("check before"), "{md}");
    let page = fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html lang=\"ja\">") && page.contains("<th>事後確認</th>"), "{page}");
    p.approve("ja.md", &p.bob).success();
    p.run("ja.md").success();
    assert_eq!(p.site.state("rs-01"), "running");
    assert!(p.site.group_definitions().contains("member G1 rs-01"));
}

/// Every script a planned run uses is covered by the plan's fingerprint, and read once:
/// the site's hooks count, and a module changed while the run goes on is not used.
#[test]
fn hooks_are_in_the_fingerprint_and_a_module_changed_during_the_run_is_not_run() {
    let p = Planning::new();
    let text = fs::read_to_string(p.site.site_file()).unwrap();
    fs::write(p.site.site_file(), format!("site_folder = \"custom\"\n{text}")).unwrap();
    let custom = p.site.dir().join("custom");
    fs::create_dir_all(&custom).unwrap();
    fs::write(custom.join("late.rhai"), "fn proceed() { }\n").unwrap();
    fs::create_dir_all(p.site.root("ss-01").join("var/tmp")).unwrap();
    fs::write(
        custom.join("marked.rhai"),
        "step(\"mark ss-01, wait, then use a module\");\nwrite_file(\"ss-01\", \"var/tmp/mark\", \"x\");\npause(4);\nimport \"late\" as l;\nl::proceed();\n",
    )
    .unwrap();
    for name in ["hooks.md", "late.md"] {
        p.plan(name, "marked", &[]).success();
        p.approve(name, &p.bob).success();
    }
    // Hooks written after the plan was approved: refused, nothing changed.
    fs::write(custom.join("hooks.rhai"), "fn before_write_file(s) { print(\"hooked\"); }\n")
        .unwrap();
    p.refused_unchanged("hooks.md", "the site's hooks changed");
    fs::remove_file(custom.join("hooks.rhai")).unwrap();

    // The module the runbook imports after its pause changes during the pause: the run
    // goes on with the text it fingerprinted.
    let plan = p.path("late.md");
    let child = std::process::Command::new(crate::support::KUROKO)
        .arg("--site")
        .arg(p.site.site_file())
        .args(["run", "--plan", plan.to_str().unwrap()])
        .env("LANG", "C")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mark = p.site.root("ss-01").join("var/tmp/mark");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !mark.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(mark.exists(), "the run never reached its pause");
    fs::write(custom.join("late.rhai"), "fn proceed() { throw \"a changed module ran\"; }\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("a changed module ran"), "{stderr}");
}

/// A change whose command failed is not ticked in the evidence, whatever came after it.
#[test]
fn the_evidence_ticks_only_the_changes_whose_call_succeeded() {
    let site = crate::support::Site::new();
    let root = site.root("ss-01");
    fs::write(root.join("run/interstage.state"), "stopped\n").unwrap();
    // Resources that name an address that is not this host's: isstart cannot bind.
    let conf = root.join("etc/opt/FJSVihs/servers/FJapache/conf/httpd.conf");
    let text = fs::read_to_string(&conf).unwrap();
    let broken: String = text
        .lines()
        .map(|l| {
            if l.starts_with("Listen ") {
                "Listen 203.0.113.99:80".to_string()
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect();
    fs::write(&conf, broken).unwrap();
    site.script("step(\"start ss-01\");\nstart_interstage(\"ss-01\");\n", &[]).code(1);
    let report = site.kuroko(&["report", &site.last_run()]).success().stdout;
    let evidence = report.split("## Evidence (エビデンス)").nth(1).expect("an evidence table");
    let row = evidence.lines().find(|l| l.contains("start Interstage")).expect("the start");
    assert!(row.ends_with("| ☐ failed |"), "{row}");
}

/// What the approver reads is what runs: an author who re-signs a plan whose rows say
/// something other than what the runbook does, or that names someone else as its author,
/// gets it approved perhaps, but never run.
#[test]
fn a_plan_whose_text_misleads_its_approver_is_refused_even_when_signed() {
    let p = Planning::new();
    let resign = |name: &str| {
        let plan = p.path(name);
        let signature = p.path(&format!("{name}.sig"));
        fs::remove_file(&signature).unwrap();
        let out = std::process::Command::new("ssh-keygen")
            .args(["-q", "-Y", "sign", "-n", "kuroko-plan", "-f"])
            .arg(&p.alice)
            .arg(&plan)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    // The step that imports into rs-01 described as a harmless check, in the table and
    // in the plan's data alike, signed again by its author.
    p.plan("soft.md", "expand", &["group=G1", "server=rs-01"]).success();
    let text = fs::read_to_string(p.path("soft.md")).unwrap();
    let narration = "import backup (new)/ms-01 into rs-01 (§2.1 step 2)";
    assert!(text.contains(narration), "{text}");
    let soft = text.replace(narration, "verify backup checksums, read only (§2.1 step 2)");
    fs::write(p.path("soft.md"), soft).unwrap();
    resign("soft.md");
    p.approve("soft.md", &p.bob).success().stdout_has("written by alice");
    p.refused_unchanged("soft.md", "refused by R11");

    // A plan that names bob as its author, signed by alice: bob would be approving
    // "his own" plan in the reader's eyes; refused at approval and at run.
    p.plan("named.md", "expand", &["group=G1", "server=rs-01"]).success();
    let text = fs::read_to_string(p.path("named.md")).unwrap();
    let named = text
        .replace("| author | alice (", "| author | bob (")
        .replace("\"author\": \"alice\"", "\"author\": \"bob\"");
    fs::write(p.path("named.md"), named).unwrap();
    resign("named.md");
    p.approve("named.md", &p.bob)
        .code(3)
        .stderr_has("names bob as its author, but it was signed by alice");
}

/// A plan runs once on a site, whichever copy of the site file and whichever store: the
/// admin server keeps the record.
#[test]
fn a_plan_runs_once_even_from_a_copy_of_the_site_folder() {
    let p = Planning::new();
    let dir = p.site.dir();
    // Server roots that do not depend on where the site file is.
    let text = fs::read_to_string(p.site.site_file()).unwrap();
    let absolute =
        text.replace("root = \"servers/", &format!("root = \"{}/servers/", dir.display()));
    fs::write(p.site.site_file(), &absolute).unwrap();
    // A change that leaves the site as it found it (so only the record can refuse it).
    let runbook = p.site.temp.path().join("cycle.rhai");
    fs::write(
        &runbook,
        "step(\"cycle ss-01\");\nstop_interstage(\"ss-01\");\nstart_interstage(\"ss-01\");\n",
    )
    .unwrap();
    p.plan("once.md", runbook.to_str().unwrap(), &[]).success();
    p.approve("once.md", &p.bob).success();
    let copy = p.site.temp.path().join("copy");
    fs::create_dir_all(&copy).unwrap();
    fs::write(copy.join("site.toml"), &absolute).unwrap();
    fs::copy(dir.join("approvers"), copy.join("approvers")).unwrap();
    let plan = p.path("once.md");
    let first = p.run("once.md").success();
    let run = p.site.last_run();
    assert!(first.stdout.contains(&run), "{}", first.stdout);
    // Another store (its record of plans is not this one's): the admin server refuses.
    fs::remove_file(p.site.store().join(".kuroko-plans")).unwrap();
    let before = p.site.snapshot();
    let again = p.run("once.md").code(3);
    assert!(again.stderr.contains(&format!("has run already, as run `{run}`")), "{}", again.stderr);
    assert_unchanged(&before, &p.site.snapshot());
    // A copy of the site folder elsewhere: refused too.
    let copied = std::process::Command::new(crate::support::KUROKO)
        .arg("--site")
        .arg(copy.join("site.toml"))
        .args(["run", "--plan", plan.to_str().unwrap()])
        .env("LANG", "C")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(copied.status.code(), Some(3), "{}", String::from_utf8_lossy(&copied.stderr));
    assert_unchanged(&before, &p.site.snapshot());
}

/// A runbook that reads what it wrote behaves one way in the dry run its plan came from
/// and another when it runs: a step by hand, or a batch job's action, that the approved
/// plan does not have where the run comes to it stops the run (R11).
#[test]
fn what_the_real_run_does_is_checked_against_the_plan_row_by_row() {
    let p = Planning::new();
    let tmp = |server: &str| p.site.root(server).join("var/tmp");
    for server in ["ms-01", "ms-03", "ms-04"] {
        fs::create_dir_all(tmp(server)).unwrap();
    }
    fs::write(tmp("ms-04").join("window"), "closed").unwrap();
    let write = |name: &str, source: &str| {
        let path = p.site.temp.path().join(name);
        fs::write(&path, source).unwrap();
        path.to_str().unwrap().to_string()
    };
    // The step by hand the plan shows is not the one the run would ask for.
    let manual = write(
        "manual.rhai",
        "step(\"the change window\");\nwrite_file(\"ms-04\", \"var/tmp/window\", \"open\");\nlet w = read_file(\"ms-04\", \"var/tmp/window\");\nmanual_step(if w == \"open\" { \"delete the domain on ms-04 by hand\" } else { \"confirm the change window with the customer\" });\n",
    );
    p.plan("manual.md", &manual, &[]).success();
    let md = fs::read_to_string(p.path("manual.md")).unwrap();
    assert!(md.contains("confirm the change window") && !md.contains("delete the domain"), "{md}");
    p.approve("manual.md", &p.bob).success();
    let plan = p.path("manual.md");
    let run = p.site.kuroko(&["run", "--plan", plan.to_str().unwrap(), "--yes"]).code(3);
    assert!(run.stderr.contains("which the approved plan does not have"), "{}", run.stderr);
    assert!(!run.stdout.contains("delete the domain on ms-04 by hand"), "{}", run.stdout);

    // A batch job that does a later step's action early.
    fs::write(tmp("ms-04").join("a"), "0").unwrap();
    let early = write(
        "early.rhai",
        "step(\"one\");\nwrite_file(\"ms-04\", \"var/tmp/a\", \"1\");\nstep(\"two\");\nbatch([\"ms-03\"], |s| { write_file(s, \"var/tmp/b\", \"2\"); if read_file(\"ms-04\", \"var/tmp/a\") == \"1\" { write_file(\"ms-01\", \"var/tmp/c\", \"3\"); } });\nstep(\"three: only after the batch\");\nwrite_file(\"ms-01\", \"var/tmp/c\", \"3\");\n",
    );
    p.plan("early.md", &early, &[]).success();
    p.approve("early.md", &p.bob).success();
    let run = p.run("early.md");
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("which the approved plan does not have"), "{}", run.stderr);
    assert!(!tmp("ms-01").join("c").exists(), "ms-01 was written before its step");
}
