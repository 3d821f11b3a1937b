//! The REPL: piped input and a real pseudo-terminal (line editing and completion).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{KUROKO, Site};

fn repl_piped(site: &Site, input: &str) -> (String, String) {
    let mut child = Command::new(KUROKO)
        .arg("--site")
        .arg(site.site_file())
        .arg("repl")
        .env("KUROKO_HISTORY", site.temp.path().join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_repl_evaluates_piped_input_with_the_same_rules_and_journal() {
    let site = Site::new();
    let (stdout, stderr) = repl_piped(
        &site,
        "servers().len()\nhelp set_ip\nstop_interstage(\"ms-01\")\nbackup(\"ms-02\")\nlet x = [\n  1,\n  2];\nx.len()\nfn twice(n) { n * 2 }\ntwice(21)\nstatuss(\"ms-01\")\nexit\n",
    );
    assert!(stdout.lines().any(|l| l == "8"), "{stdout}");
    assert!(
        stdout.contains("set_ip(server[, address, hostname])") && stdout.contains("checks: R5"),
        "{stdout}"
    );
    assert!(stderr.contains("refused by R4 on `ms-02`"), "{stderr}");
    assert!(stdout.lines().any(|l| l == "2") && stdout.lines().any(|l| l == "42"), "{stdout}");
    assert!(stderr.contains("no function `statuss`: did you mean `status`?"), "{stderr}");
    // Leaving the session starts again what it stopped (R11).
    assert!(stderr.contains("`ms-01` started again (R11)"), "{stderr}");
    assert_eq!(site.state("ms-01"), "running");
    assert_eq!(site.backups().len(), 0);
    let runs = site.kuroko(&["runs"]).success().stdout;
    let run = runs
        .lines()
        .find(|l| l.contains("repl"))
        .expect("the session is journalled")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let report = site.kuroko(&["report", &run]).success().stdout;
    assert!(
        report.contains("stop_interstage(\"ms-01\")") && report.contains("| refused |"),
        "{report}"
    );
    let history = std::fs::read_to_string(site.temp.path().join("history")).unwrap();
    assert!(history.contains("twice(21)"), "{history}");
}

#[test]
fn the_repl_completes_names_on_a_terminal() {
    let site = Site::new();
    let command = format!("{KUROKO} --site {} repl", site.site_file().display());
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("KUROKO_HISTORY", site.temp.path().join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // Typed as a person would: a tab after a partial name, a carriage return to run it.
    for keys in [
        "stop_int\t(\"ms-01\")\r",
        "stat\t(\"ms-01\")\r",
        "start_interstage(\"ms-01\")\r",
        "exit\r",
    ] {
        std::thread::sleep(Duration::from_millis(400));
        input.write_all(keys.as_bytes()).unwrap();
        input.flush().unwrap();
    }
    std::thread::sleep(Duration::from_millis(400));
    drop(input);
    let output = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("kuroko> stop_interstage"), "completion did not expand:\n{screen}");
    assert!(screen.contains("[ms-01] stop Interstage"), "{screen}");
    assert!(screen.contains("\"stopped\""), "{screen}");
    assert!(screen.contains("[ms-01] start Interstage"), "{screen}");
    assert_eq!(site.state("ms-01"), "running");
}
