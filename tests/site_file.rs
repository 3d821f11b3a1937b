//! A broken site file gets an error that names the line and key and suggests a fix.

use crate::support::{Site, assert_unchanged};

fn broken(edit: impl Fn(String) -> String) -> (Site, crate::support::Run) {
    let site = Site::new();
    let text = std::fs::read_to_string(site.site_file()).unwrap();
    std::fs::write(site.site_file(), edit(text)).unwrap();
    let before = site.snapshot();
    let run = site.kuroko(&["run", "backup-site"]);
    assert_unchanged(&before, &site.snapshot());
    (site, run)
}

#[test]
fn a_misspelt_key_names_its_line_and_the_nearest_key() {
    let (_site, run) = broken(|t| t.replacen("transport = \"local\"", "transprt = \"local\"", 1));
    run.code(2)
        .stderr_has("line 17")
        .stderr_has("key `servers.adm.transprt`")
        .stderr_has("unknown field `transprt`")
        .stderr_has("did you mean `transport`?")
        .stderr_has("^");
}

#[test]
fn a_misspelt_role_suggests_the_valid_one() {
    let (_site, run) = broken(|t| t.replacen("role = \"reserve\"", "role = \"reserv\"", 1));
    run.code(2).stderr_has("unknown variant `reserv`").stderr_has("did you mean `reserve`?");
}

#[test]
fn a_member_of_an_unknown_group_is_named_with_a_suggestion() {
    let (_site, run) = broken(|t| t.replacen("group = \"G2\"", "group = \"G22\"", 1));
    run.code(2)
        .stderr_has("key `servers.ms-03.group`")
        .stderr_has("unknown group `G22`")
        .stderr_has("did you mean `G2`?");
}

#[test]
fn an_unknown_placeholder_in_a_command_template_is_named() {
    let (_site, run) =
        broken(|t| t.replacen("isgroupadd {group} {server}", "isgroupadd {grup} {server}", 1));
    run.code(2).stderr_has("commands.group_add").stderr_has("did you mean `{group}`?");
}

#[test]
fn a_duplicate_address_is_refused() {
    let (_site, run) = broken(|t| t.replacen("192.0.2.12", "192.0.2.11", 1));
    run.code(2).stderr_has("already used by server `ms-01`");
}

#[test]
fn invalid_toml_points_at_the_line() {
    let (_site, run) = broken(|t| t.replacen("store = \"backups\"", "store = \"backups", 1));
    run.code(2).stderr_has("line 3");
}

#[test]
fn a_missing_site_file_says_how_to_make_one() {
    let site = Site::new();
    std::fs::remove_file(site.site_file()).unwrap();
    site.kuroko(&["status"])
        .code(2)
        .stderr_has("cannot read the site file")
        .stderr_has("kuroko rehearsal create");
}

#[test]
fn an_unknown_server_suggests_the_nearest_name_and_changes_nothing() {
    let site = Site::new();
    let before = site.snapshot();
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-1"])
        .code(2)
        .stderr_has("unknown server `rs-1`")
        .stderr_has("did you mean `rs-01`?");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn an_unreachable_server_fails_with_a_clear_message() {
    let site = Site::new();
    std::fs::rename(site.root("ms-04"), site.temp.path().join("gone")).unwrap();
    site.kuroko(&["status"])
        .code(1)
        .stdout_has("ms-04      unreachable")
        .stdout_has("does not exist");
}
