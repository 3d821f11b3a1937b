//! `kuroko check`, and the reference generated from the primitives' own docs.

use crate::support::{KUROKO, Site, assert_unchanged};

#[test]
fn check_reports_every_error_with_file_line_and_caret() {
    let site = Site::new();
    let dir = site.temp.path().join("book");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("helper.rhai"), "fn helper() {\n    statuss(\"ms-01\");\n}\n").unwrap();
    std::fs::write(
        dir.join("main.rhai"),
        "import \"helper\" as h;\nstop_interstag(\"ms-01\");\nlet x = 1;\nbackupp(x);\nh::helper();\n",
    )
    .unwrap();
    let main = dir.join("main.rhai");
    let run = site.kuroko(&["check", main.to_str().unwrap()]).code(2);
    for text in [
        "main.rhai:2:1: no function `stop_interstag`: did you mean `stop_interstage`?",
        "main.rhai:4:1: no function `backupp`: did you mean `backup`?",
        "helper.rhai:2:5: no function `statuss`: did you mean `status`?",
        "2 | stop_interstag(\"ms-01\");",
    ] {
        assert!(run.stderr.contains(text), "missing {text:?} in\n{}", run.stderr);
    }
}

#[test]
fn running_a_runbook_with_an_unknown_function_changes_nothing() {
    let site = Site::new();
    let before = site.snapshot();
    // The unknown call comes after a step that would stop a member: nothing may run.
    site.script("stop_interstage(\"ms-01\");\nstart_interstag(\"ms-01\");\n", &[])
        .code(2)
        .stderr_has("no function `start_interstag`");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn the_standard_runbooks_and_scripts_pass_the_check() {
    let scripts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/site-report.rhai");
    let output = std::process::Command::new(KUROKO)
        .args(["check", "expand", "recover", "backup-site"])
        .arg(&scripts)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok ")).count(), 4, "{stdout}");
}

#[test]
fn the_reference_in_the_repository_is_current() {
    let output = std::process::Command::new(KUROKO).arg("reference").output().unwrap();
    let generated = String::from_utf8(output.stdout).unwrap();
    let kept = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/primitives.md"),
    )
    .unwrap();
    assert!(
        generated == kept,
        "docs/primitives.md is stale: run `kuroko reference > docs/primitives.md`"
    );
}

#[test]
fn every_registered_primitive_is_documented() {
    let site = Site::new();
    // Call every documented primitive by name through check: none is unknown…
    let docs = kuroko::primitives::docs::PRIMITIVES;
    assert!(docs.len() >= 25);
    // …and every function the runtime registers has a doc entry.
    let names = kuroko::engine::registered_names(&site.site_file());
    assert!(names.len() >= 25, "{names:?}");
    for name in names {
        assert!(
            kuroko::primitives::docs::find(&name).is_some(),
            "`{name}` has no entry in src/primitives/docs.rs"
        );
    }
}
