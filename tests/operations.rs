//! Issue 10: kuroko on a real production site — runs from anywhere, retention.

use std::fs;
use std::process::{Command, Stdio};

use crate::support::{KUROKO, Run, Site};

fn kuroko_in(site: &Site, dir: &std::path::Path, args: &[&str]) -> Run {
    Run::from_output(
        Command::new(KUROKO)
            .current_dir(dir)
            .arg("--site")
            .arg(site.site_file())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
}

#[test]
fn resume_works_from_any_folder_and_a_changed_module_is_a_changed_runbook() {
    let site = Site::new();
    let books = site.temp.path().join("books");
    fs::create_dir_all(&books).unwrap();
    fs::write(books.join("lib.rhai"), "fn fail_now() { throw \"stop here\"; }\n").unwrap();
    fs::write(
        books.join("book.rhai"),
        "import \"lib\" as lib;\nwrite_file(\"ms-01\", \"var/tmp/a\", \"1\");\nlib::fail_now();\n",
    )
    .unwrap();
    // Started by a relative path, from the runbook's folder.
    let failed = kuroko_in(&site, &books, &["run", "book.rhai"]).code(1);
    let run = failed.stderr.split("kuroko resume ").nth(1).unwrap().split('`').next().unwrap();
    let elsewhere = site.temp.path();
    // A changed module changes the runbook: resuming would mix two scripts.
    fs::write(books.join("lib.rhai"), "fn fail_now() { }\n").unwrap();
    kuroko_in(&site, elsewhere, &["resume", run])
        .code(2)
        .stderr_has("or a module it imports changed");
    // As it was, it resumes from another folder (and meets its `throw` again).
    fs::write(books.join("lib.rhai"), "fn fail_now() { throw \"stop here\"; }\n").unwrap();
    kuroko_in(&site, elsewhere, &["resume", run])
        .code(1)
        .stderr_has("stop here")
        .stdout_has("write_file: already done by the resumed run");
}

/// The generation of each backup id in the store, grouped.
fn generations(site: &Site) -> Vec<String> {
    let mut gens: Vec<String> =
        site.backups().iter().map(|id| id.split('/').next().unwrap().to_string()).collect();
    gens.dedup();
    gens
}

#[test]
fn prune_keeps_the_newest_complete_generation_what_r7_needs_and_what_servers_came_from() {
    let site = Site::new();
    for _ in 0..3 {
        site.kuroko(&["run", "backup-site"]).success();
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let complete = generations(&site);
    assert_eq!(complete.len(), 3);
    // Backups taken one by one, and a backup-site that fails part way (G2 has no running
    // member: it stops after the admin server and G1).
    site.kuroko(&["batch", "group:G2", "backup"]).success();
    site.script("stop_interstage(\"ms-04\"); mark_down(\"ms-04\");", &["--force", "R4"]).success();
    site.script("stop_interstage(\"ms-03\"); mark_down(\"ms-03\");", &["--force", "R4"]).success();
    site.kuroko(&["run", "backup-site"]).code(1);
    site.script("start_interstage(\"ms-03\"); start_interstage(\"ms-04\");", &[]).success();
    let list = site.kuroko(&["backups", "list"]).success();
    assert_eq!(list.stdout.matches("INCOMPLETE").count(), 2, "{}", list.stdout);
    // latest_backup never offers the incomplete generation's G1 backup.
    let latest = site.script("print(latest_backup(\"G1\"));", &[]).success();
    assert!(latest.stdout.contains(&complete[2]), "{}", latest.stdout);
    // rs-01's resources come from the oldest generation.
    let oldest = format!("{}/ms-01", complete[0]);
    assert!(site.backups().contains(&oldest));
    site.script(&format!("import_backup(\"{oldest}\", \"rs-01\"); set_ip(\"rs-01\");"), &[])
        .success();

    let before = site.backups();
    let plan = site.kuroko(&["backups", "prune", "--keep-generations", "1", "--dry-run"]).success();
    assert!(plan.stdout.contains("would remove"), "{}", plan.stdout);
    assert_eq!(site.backups(), before, "a dry run removes nothing");

    let pruned = site.kuroko(&["backups", "prune", "--keep-generations", "1"]).success();
    let after = site.backups();
    for id in &before {
        let generation = id.split('/').next().unwrap();
        let kept = after.contains(id);
        if generation == complete[2] || *id == oldest {
            assert!(kept, "{id} must be kept:\n{}", pruned.stdout);
        } else {
            assert!(!kept, "{id} should have gone:\n{}", pruned.stdout);
        }
    }
    assert!(pruned.stdout.contains("`rs-01`'s resources came from it"), "{}", pruned.stdout);
    // What is left is whole, and the removals are journalled.
    site.kuroko(&["backups", "verify"]).success();
    site.kuroko(&["runs"]).success().stdout_has("backups prune");
    // Nothing is ever pruned below the newest complete generation.
    site.kuroko(&["backups", "prune", "--keep-days", "0"]).success();
    assert!(site.backups().iter().any(|id| id.starts_with(&complete[2])));
    site.kuroko(&["backups", "prune"]).code(2).stderr_has("needs a policy");
}
