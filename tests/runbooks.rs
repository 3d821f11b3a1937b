//! Runbooks: errors point at the line, parameters are checked, imports stay inside the
//! runbook's folder, and every shipped script runs.

use crate::support::{Site, assert_unchanged};

#[test]
fn a_syntax_error_shows_the_line_with_a_caret_before_anything_runs() {
    let site = Site::new();
    let before = site.snapshot();
    site.script("stop_interstage(\"ms-01\");\nlet x = ;\n", &[])
        .code(2)
        .stderr_has(":2:")
        .stderr_has("2 | let x = ;");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn an_undefined_variable_is_caught_before_anything_runs() {
    let site = Site::new();
    let before = site.snapshot();
    site.script("stop_interstage(\"ms-01\");\nbackup(serverr);\n", &[])
        .code(2)
        .stderr_has("serverr");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn an_unknown_runbook_name_suggests_the_nearest() {
    let site = Site::new();
    site.kuroko(&["run", "expnd"]).code(2).stderr_has("did you mean `expand`?");
}

#[test]
fn an_unknown_parameter_is_refused_with_a_suggestion() {
    let site = Site::new();
    site.kuroko(&["run", "expand", "-p", "grup=G1", "-p", "server=rs-01"])
        .code(2)
        .stderr_has("did you mean `group`?");
}

#[test]
fn a_missing_parameter_says_how_to_pass_it() {
    let site = Site::new();
    site.kuroko(&["run", "expand", "-p", "group=G1"])
        .code(2)
        .stderr_has("needs the parameter `server`")
        .stderr_has("-p server=VALUE");
}

#[test]
fn eval_is_not_available_to_runbooks() {
    let site = Site::new();
    site.script(r#"eval("stop_interstage(\"ms-01\")");"#, &[]).code(2);
    assert_eq!(site.state("ms-01"), "running");
}

#[test]
fn imports_stay_inside_the_runbooks_folder() {
    let site = Site::new();
    let dir = site.temp.path().join("book");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(site.temp.path().join("outside.rhai"), "fn f() { 1 }").unwrap();
    std::fs::write(dir.join("helper.rhai"), "fn answer() { 42 }").unwrap();
    std::os::unix::fs::symlink(site.temp.path().join("outside.rhai"), dir.join("sneaky.rhai"))
        .unwrap();
    let run = |body: &str| {
        let path = dir.join("main.rhai");
        std::fs::write(&path, body).unwrap();
        site.kuroko(&["run", path.to_str().unwrap()])
    };
    run("import \"helper\" as h; print(h::answer());").success().stdout_has("42");
    // Refused by the check before anything runs, and by the resolver if it ever got there.
    run("import \"../outside\" as o;").code(2).stderr_has("only plain names");
    run(&format!("import \"{}\" as o;", site.temp.path().join("outside").display()))
        .code(2)
        .stderr_has("only plain names");
    run("import \"sneaky\" as o;").code(2).stderr_has("leads outside");
}

#[test]
fn every_shipped_script_runs_on_a_rehearsal_site() {
    let scripts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts");
    let mut ran = 0;
    for entry in std::fs::read_dir(&scripts).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "rhai") {
            let site = Site::new();
            site.kuroko(&["run", path.to_str().unwrap()]).success();
            ran += 1;
        }
    }
    assert!(ran >= 1, "no script in scripts/");
}

#[test]
fn the_standard_runbooks_are_listed_with_their_parameters() {
    let site = Site::new();
    let run = site.kuroko(&["runbooks"]).success();
    for text in ["expand", "recover", "backup-site", "-p group=", "-p server="] {
        assert!(run.stdout.contains(text), "{text} missing:\n{}", run.stdout);
    }
}

#[test]
fn a_runbook_reads_and_writes_small_files_but_never_the_resources() {
    let site = Site::new();
    site.script(r#"write_file("ms-01", "var/tmp/notes/change.txt", "CR-42\n"); print(read_file("ms-01", "var/tmp/notes/change.txt"));"#, &[])
        .success()
        .stdout_has("CR-42");
    assert_eq!(site.read("ms-01", "var/tmp/notes/change.txt"), "CR-42\n");
    let before = site.snapshot();
    site.script(r#"write_file("ms-01", "etc/opt/FJSVihs/servers/FJapache/conf/httpd.conf", "Listen 6.6.6.6:80");"#, &[])
        .code(2)
        .stderr_has("changes only through restore");
    site.script(r#"write_file("ms-01", "var/opt/kuroko/provenance.json", "{}");"#, &[]).code(2);
    site.script(r#"write_file("ms-01", "../ms-02/run/interstage.state", "stopped");"#, &[])
        .code(2)
        .stderr_has("plain path");
    site.script(r#"print(read_file("ms-01", "/etc/passwd"));"#, &[])
        .code(2)
        .stderr_has("plain path");
    assert_unchanged(&before, &site.snapshot());
}

/// The runs the store's journal holds.
fn journalled_runs(site: &Site) -> usize {
    std::fs::read_dir(site.store().join("journal")).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn stdlib_names_only_a_shipped_runbook() {
    let site = Site::new();
    std::fs::write(
        site.temp.path().join("x.rhai"),
        "write_file(\"ms-01\", \"var/tmp/ran\", \"\");",
    )
    .unwrap();
    let before = site.snapshot();
    for what in ["stdlib:/etc/passwd", "stdlib:../x", "stdlib:nope", "stdlib:", "stdlib:x.rhai"] {
        site.kuroko(&["run", what])
            .code(2)
            .stderr_has("no standard runbook")
            .stderr_has("the standard runbooks are expand, recover, backup-site");
    }
    site.kuroko(&["run", "stdlib:expnd"]).code(2).stderr_has("did you mean `stdlib:expand`?");
    assert_eq!(journalled_runs(&site), 0, "nothing ran");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_runbook_path_must_be_a_small_regular_file() {
    let site = Site::new();
    let before = site.snapshot();
    let started = std::time::Instant::now();
    site.kuroko(&["run", "/dev/zero"]).code(2).stderr_has("is not a regular file");
    site.kuroko(&["run", "/dev/stdin"]).code(2).stderr_has("is not a regular file");
    site.kuroko(&["run", site.temp.path().to_str().unwrap()])
        .code(2)
        .stderr_has("is not a regular file");
    let fifo = site.temp.path().join("fifo.rhai");
    crate::support::sh(site.temp.path(), "mkfifo fifo.rhai").success();
    site.kuroko(&["run", fifo.to_str().unwrap()]).code(2).stderr_has("is not a regular file");
    let big = site.temp.path().join("big.rhai");
    std::fs::write(&big, "// padding\n".repeat(100_000)).unwrap();
    site.kuroko(&["run", big.to_str().unwrap()]).code(2).stderr_has("more than the 1048576");
    assert!(started.elapsed().as_secs() < 10, "refusing took {:?}", started.elapsed());
    assert_eq!(journalled_runs(&site), 0, "nothing ran");
    assert_unchanged(&before, &site.snapshot());
}
