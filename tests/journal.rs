//! The run journal, resuming a failed run, and run reports.

use std::fs;

use crate::support::{Site, assert_unchanged};

fn journals(site: &Site) -> Vec<(String, Vec<serde_json::Value>)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(site.store().join("journal")).unwrap().flatten() {
        let text = fs::read_to_string(entry.path()).unwrap();
        let lines: Vec<serde_json::Value> =
            text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        out.push((
            entry.file_name().to_string_lossy().trim_end_matches(".jsonl").to_string(),
            lines,
        ));
    }
    // Runs started in the same second: their start time orders them.
    out.sort_by(|a, b| a.1[0]["at"].as_str().cmp(&b.1[0]["at"].as_str()));
    out
}

#[test]
fn every_step_is_journalled_with_secrets_masked() {
    let site = Site::new();
    let book = site.temp.path().join("noted.rhai");
    fs::write(
        &book,
        "//! Notes a change.\n//! param api_token: a secret\n//! param ticket: the change\nlet t = param(\"api_token\");\nwrite_file(\"ms-01\", \"var/tmp/token\", t);\nstop_interstage(\"ms-01\");\nstart_interstage(\"ms-01\");\n",
    )
    .unwrap();
    site.kuroko(&["run", book.to_str().unwrap(), "-p", "api_token=hunter2", "-p", "ticket=CR-7"])
        .success();
    let (run, entries) = journals(&site).pop().unwrap();
    let text =
        fs::read_to_string(site.store().join("journal").join(format!("{run}.jsonl"))).unwrap();
    assert!(!text.contains("hunter2"), "a secret reached the journal:\n{text}");
    let start = &entries[0];
    assert_eq!(start["kind"], "start");
    assert_eq!(start["params"]["api_token"], "***");
    assert_eq!(start["params"]["ticket"], "CR-7");
    assert_eq!(start["sha256"].as_str().unwrap().len(), 64);
    let steps: Vec<&serde_json::Value> = entries.iter().filter(|e| e["kind"] == "step").collect();
    let names: Vec<&str> = steps.iter().map(|s| s["primitive"].as_str().unwrap()).collect();
    assert_eq!(names, ["write_file", "stop_interstage", "start_interstage"]);
    // A file's content by its size only: its sha256 would let anyone guess the secret in it.
    assert_eq!(steps[0]["args"][2], "<7 bytes, sha256 withheld: it holds a secret>");
    assert_eq!(steps[1]["server"], "ms-01");
    assert!(
        steps
            .iter()
            .all(|s| s["result"] == "ok" && s["started"].is_string() && s["ended"].is_string())
    );
    assert_eq!(entries.last().unwrap()["status"], "completed");
}

#[test]
fn a_failed_run_resumes_at_the_failed_step() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let book = site.temp.path().join("two.rhai");
    fs::write(&book, "write_file(\"ms-01\", \"var/tmp/first\", \"done once\");\nif read_file(\"ms-01\", \"var/tmp/first\") != \"\" { let id = backup(\"ms-03\"); print(`took ${id}`); }\n").unwrap();
    // ms-04 is down: backing up ms-03 is refused (R4) after the first step ran (the
    // backup depends on the file the run writes, so the dry run made first cannot see it).
    site.script("stop_interstage(\"ms-04\"); mark_down(\"ms-04\");", &[]).success();
    let failed = site.kuroko(&["run", book.to_str().unwrap()]).refused("R4");
    let run = failed
        .stderr
        .split("kuroko resume ")
        .nth(1)
        .unwrap()
        .split('`')
        .next()
        .unwrap()
        .to_string();
    fs::write(site.root("ms-01").join("var/tmp/first"), "changed by hand").unwrap();
    site.script("start_interstage(\"ms-04\");", &[]).success();
    let resumed = site.kuroko(&["resume", &run]).success();
    assert!(
        resumed.stdout.contains("write_file: already done by the resumed run"),
        "{}",
        resumed.stdout
    );
    assert!(resumed.stdout.contains("took "), "{}", resumed.stdout);
    assert_eq!(
        site.read("ms-01", "var/tmp/first"),
        "changed by hand",
        "the done step was not done again"
    );
    let (_, entries) = journals(&site).pop().unwrap();
    assert_eq!(entries[0]["resumed_from"], run.as_str());
    // A completed run has nothing to resume.
    let done = entries[0]["run"].as_str().unwrap().to_string();
    site.kuroko(&["resume", &done]).code(2).stderr_has("nothing to resume");
}

#[test]
fn resuming_is_refused_when_the_runbook_changed() {
    let site = Site::new();
    let book = site.temp.path().join("fails.rhai");
    fs::write(&book, "stop_interstage(\"ms-01\");\nthrow \"stop\";\n").unwrap();
    let failed = site.kuroko(&["run", book.to_str().unwrap()]).code(1);
    let run = failed
        .stderr
        .split("kuroko resume ")
        .nth(1)
        .unwrap()
        .split('`')
        .next()
        .unwrap()
        .to_string();
    fs::write(&book, "stop_interstage(\"ms-02\");\n").unwrap();
    let before = site.snapshot();
    site.kuroko(&["resume", &run]).code(2).stderr_has("changed since run");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_report_lists_every_step_in_markdown_or_html() {
    let site = Site::new();
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01"]).success();
    let run = site.kuroko(&["runs"]).success();
    let id = run.stdout.lines().nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    assert!(run.stdout.contains("expand") && run.stdout.contains("completed"), "{}", run.stdout);
    let markdown = site.kuroko(&["report", &id]).success().stdout;
    for text in [
        "# kuroko run report",
        "**runbook**: expand (stdlib/expand.rhai)",
        "| # | started |",
        "import_backup(",
        "group_add(\"G1\", \"rs-01\")",
        "**status**: completed",
    ] {
        assert!(markdown.contains(text), "{text:?} missing:\n{markdown}");
    }
    let html = site.kuroko(&["report", &id, "--html"]).success().stdout;
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<td>set_ip(&quot;rs-01&quot;)</td>"),
        "{html}"
    );
}

/// The one journal of a fresh site's single run: its id and its text.
fn only_journal(site: &Site) -> (String, String) {
    let mut found: Vec<_> = fs::read_dir(site.store().join("journal")).unwrap().flatten().collect();
    assert_eq!(found.len(), 1, "one run, one journal");
    let entry = found.pop().unwrap();
    let run = entry.file_name().to_string_lossy().trim_end_matches(".jsonl").to_string();
    (run, fs::read_to_string(entry.path()).unwrap())
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_file_a_runbook_reads_is_journalled_and_reported_by_size_and_sha256_only() {
    let site = Site::new();
    let secret = "CANARY-db-credential-7f3a\n";
    fs::create_dir_all(site.root("ms-01").join("var/tmp")).unwrap();
    fs::write(site.root("ms-01").join("var/tmp/credential"), secret).unwrap();
    site.script(
        r#"let c = read_file("ms-01", "var/tmp/credential");
write_file("ms-02", "var/tmp/copy", c);
step(c);
print(`read ${c.len()} bytes`);"#,
        &[],
    )
    .success();
    assert_eq!(site.read("ms-02", "var/tmp/copy"), secret, "the runbook did read the file");
    let shown = format!("<{} bytes, sha256 {}>", secret.len(), sha256_hex(secret.as_bytes()));
    let (run, journal) = only_journal(&site);
    let markdown = site.kuroko(&["report", &run]).success().stdout;
    let html = site.kuroko(&["report", &run, "--html"]).success().stdout;
    for (what, text) in [("journal", &journal), ("report", &markdown), ("HTML report", &html)] {
        assert!(!text.contains("CANARY"), "the file's content reached the {what}:\n{text}");
    }
    // Its size and sha256 are the evidence: the value read, the text written, the step.
    assert_eq!(journal.matches(&shown).count(), 3, "{journal}");
    assert!(markdown.contains(&shown), "{markdown}");
    assert!(html.contains(&sha256_hex(secret.as_bytes())), "{html}");
}

#[test]
fn a_secret_parameters_value_is_masked_wherever_a_runbook_passes_it() {
    let site = Site::new();
    let secret = "Pa55-canary-91";
    let book = site.temp.path().join("leaky.rhai");
    fs::write(
        &book,
        r#"//! Passes its secret everywhere.
//! param db_password: a secret
let p = param("db_password");
write_file("ms-01", "var/tmp/" + p, "x");
write_file("ms-01", "var/tmp/conf", "user=app\npassword=" + p + "\n");
try { status(p); } catch (e) { print("no such server"); }
throw "giving up on " + p;
"#,
    )
    .unwrap();
    site.kuroko(&["run", book.to_str().unwrap(), "-p", &format!("db_password={secret}")]).code(1);
    let (run, journal) = only_journal(&site);
    let markdown = site.kuroko(&["report", &run]).success().stdout;
    let html = site.kuroko(&["report", &run, "--html"]).success().stdout;
    for (what, text) in [("journal", &journal), ("report", &markdown), ("HTML report", &html)] {
        assert!(!text.contains(secret), "the secret reached the {what}:\n{text}");
    }
    let conf = site.read("ms-01", "var/tmp/conf");
    assert!(!journal.contains(&sha256_hex(conf.as_bytes())), "a hash would let one guess it");
    for shown in [
        r#"\"var/tmp/***\""#,
        "sha256 withheld: it holds a secret",
        "unknown server `***`",
        "giving up on ***",
    ] {
        assert!(journal.contains(shown), "{shown:?} missing:\n{journal}");
    }
}

#[test]
fn a_runs_journal_stays_under_its_cap_and_the_run_fails_cleanly() {
    let site = Site::new();
    let text = fs::read_to_string(site.site_file()).unwrap();
    fs::write(
        site.site_file(),
        text.replacen("[commands]\n", "[limits]\njournal_bytes = 65536\n\n[commands]\n", 1),
    )
    .unwrap();
    let run = site
        .script(
            r#"stop_interstage("ms-01");
let big = "x";
for i in 0..17 { big += big; }
loop { write_file("ms-02", "var/tmp/big", big); }"#,
            &[],
        )
        .code(1)
        .stderr_has("reached its cap of 65536 bytes")
        .stderr_has("`write_file` refused before doing anything")
        .stderr_has("`[limits] journal_bytes`")
        .stderr_has("`ms-01` started again (R11)");
    let (id, journal) = only_journal(&site);
    assert!(run.stderr.contains(&format!("journal/{id}.jsonl")), "{}", run.stderr);
    assert!(journal.len() <= 65536 + 4096, "the journal has {} bytes", journal.len());
    let steps = journal.lines().filter(|l| l.contains("\"write_file\"")).count();
    assert!(steps > 20, "only {steps} steps were journalled");
    let end: serde_json::Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    assert_eq!(end["kind"], "end");
    assert_eq!(end["status"], "failed");
    assert_eq!(site.state("ms-01"), "running");
}

#[test]
fn resuming_never_replays_a_value_the_journal_did_not_keep() {
    let site = Site::new();
    let book = site.temp.path().join("half.rhai");
    fs::write(
        &book,
        "//! Backs up, then fails.\n//! param ticket: the change\nlet id = backup(\"ms-03\");\nthrow \"stop after \" + id;\n",
    )
    .unwrap();
    site.kuroko(&["run", book.to_str().unwrap(), "-p", "ticket=CR-1"]).code(1);
    let (run, text) = only_journal(&site);
    // A backup's id is short and kept; were it not, its `<N bytes, …>` must not come back.
    let id = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["primitive"] == "backup")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    let elided = format!("<300 bytes, sha256 {}>", "0".repeat(64));
    let path = site.store().join("journal").join(format!("{run}.jsonl"));
    fs::write(&path, text.replace(&format!("\"{id}\""), &format!("\"{elided}\""))).unwrap();
    let before = site.snapshot();
    site.kuroko(&["resume", &run])
        .code(2)
        .stderr_has("keeps only as <300 bytes")
        .stderr_has("start a new run");
    assert_unchanged(&before, &site.snapshot());
    // Nor a parameter too long to keep.
    let long = format!("ticket={}", "CR-".repeat(100));
    let failed = site.kuroko(&["run", book.to_str().unwrap(), "-p", &long]).code(1);
    let run = failed
        .stderr
        .split("kuroko resume ")
        .nth(1)
        .unwrap()
        .split('`')
        .next()
        .unwrap()
        .to_string();
    let before = site.snapshot();
    site.kuroko(&["resume", &run]).code(2).stderr_has("parameter `ticket` too long");
    assert_unchanged(&before, &site.snapshot());
}
