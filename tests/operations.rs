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
