//! Issue 10.7: one file to carry into an air-gapped site. The static build (the same
//! script an operator runs) is not dynamic, and runs in an empty root holding only itself
//! and a site folder.

use std::fs;
use std::process::{Command, Stdio};

use crate::support::{KUROKO, Run};

#[test]
fn the_static_build_is_one_file_that_runs_in_an_empty_root() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/static-build.sh");
    let built = Command::new(script).stderr(Stdio::inherit()).output().unwrap();
    assert!(built.status.success(), "scripts/static-build.sh failed");
    let binary = String::from_utf8(built.stdout).unwrap().trim().to_string();
    // Not dynamic, by ldd's own word; its sha256 beside it checks with sha256sum -c.
    let ldd = Command::new("ldd").arg(&binary).output().unwrap();
    let said =
        format!("{}{}", String::from_utf8_lossy(&ldd.stdout), String::from_utf8_lossy(&ldd.stderr));
    assert!(
        said.contains("not a dynamic executable") || said.contains("statically linked"),
        "{said}"
    );
    let dir = std::path::Path::new(&binary).parent().unwrap();
    let check =
        Command::new("sha256sum").args(["-c", "kuroko.sha256"]).current_dir(dir).output().unwrap();
    assert!(check.status.success());
    // An empty root: the binary and a site folder, nothing else (no libc, no sh).
    let root = tempfile::tempdir().unwrap();
    fs::copy(&binary, root.path().join("kuroko")).unwrap();
    Run::from_output(
        Command::new(KUROKO)
            .args(["rehearsal", "create"])
            .arg(root.path().join("site"))
            .output()
            .unwrap(),
    )
    .success();
    let in_root = |args: &[&str]| {
        Run::from_output(
            Command::new("/usr/sbin/chroot")
                .arg(root.path())
                .arg("/kuroko")
                .args(["--site", "/site/site.toml"])
                .args(args)
                .env_clear()
                .stdin(Stdio::null())
                .output()
                .unwrap(),
        )
    };
    assert_eq!(fs::read_dir(root.path()).unwrap().count(), 2, "only the binary and the site");
    in_root(&["runbooks"]).success().stdout_has("backup-site");
    in_root(&["check", "expand", "recover", "backup-site"]).success();
    in_root(&["backups", "list"]).success();
    in_root(&["site", "import", "--csv", "/nothing.csv", "--name", "x", "-o", "/x.toml"])
        .code(2)
        .stderr_has("cannot read");
}
