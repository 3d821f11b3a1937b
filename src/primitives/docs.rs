//! The documentation of every script-facing primitive: one table that feeds the REPL's
//! `help`, its completion, `kuroko check` and the generated reference
//! (`docs/primitives.md`), so they cannot drift apart. A test checks that every registered
//! primitive has an entry and that the reference in the repository is current.

pub struct Doc {
    pub name: &'static str,
    pub signature: &'static str,
    pub summary: &'static str,
    /// The rules the primitive checks before it changes anything.
    pub rules: &'static str,
    pub example: &'static str,
    /// Whether it changes a server or the store (journalled and replayed on resume).
    pub changes: bool,
}

macro_rules! doc {
    ($name:literal, $sig:literal, $rules:literal, $changes:literal, $summary:literal, $example:literal) => {
        Doc {
            name: $name,
            signature: $sig,
            summary: $summary,
            rules: $rules,
            example: $example,
            changes: $changes,
        }
    };
}

pub const PRIMITIVES: &[Doc] = &[
    doc!(
        "stop_interstage",
        "stop_interstage(server)",
        "R4",
        true,
        "Stops Interstage with the all-forced stop (`isstop -f`). On a group member it refuses to stop the last running member, or a second member while this run has one down.",
        r#"stop_interstage("ms-01");"#
    ),
    doc!(
        "start_interstage",
        "start_interstage(server)",
        "R5",
        true,
        "Starts Interstage (`isstart`) and checks that it runs. Refused while the server still holds another server's address and host name after an import.",
        r#"start_interstage("rs-01");"#
    ),
    doc!(
        "status",
        "status(server) -> string",
        "",
        false,
        "Asks the server whether Interstage runs: \"running\" or \"stopped\".",
        r#"if status("ms-01") == "running" { print("up"); }"#
    ),
    doc!(
        "mark_down",
        "mark_down(server)",
        "R11",
        true,
        "Marks a server this run stopped as intentionally down: it is not started again if the runbook fails.",
        r#"stop_interstage("ms-04"); mark_down("ms-04");"#
    ),
    doc!(
        "new_generation",
        "new_generation() -> string",
        "",
        false,
        "A new generation id, to take several backups as one consistent set. The set is incomplete (never offered by `latest_backup`) until `complete_generation`.",
        r#"let g = new_generation(); backup(admin(), g); backup("ms-01", g);"#
    ),
    doc!(
        "complete_generation",
        "complete_generation(generation)",
        "R7",
        true,
        "Marks a generation begun with `new_generation` as a whole set. It needs the admin server's backup in it.",
        r#"let g = new_generation(); backup(admin(), g); backup("ms-01", g); complete_generation(g);"#
    ),
    doc!(
        "backup",
        "backup(server[, generation]) -> string",
        "R4, R7",
        true,
        "Stops Interstage if it runs, archives the server's resources into the store (hashed while streamed, renamed only when verified), starts it again, and returns the backup id.",
        r#"let id = backup("ms-01");"#
    ),
    doc!(
        "restore",
        "restore(backup, server)",
        "R1, R3, R6, R7, R8, R9",
        true,
        "Puts a backup back: onto the server it came from, or onto a recovered member of the backup's group (then set_ip is due). The target must be a reserve or standalone server and stopped.",
        r#"restore(latest_backup("G1"), "ms-02");"#
    ),
    doc!(
        "import_backup",
        "import_backup(backup, server[, #{ certificate: bool }])",
        "R1, R6, R7, R8, R9",
        true,
        "Imports (移入) a backup onto another server, which must be a reserve or standalone server and stopped. The certificate environment goes only if the site's policy allows it. (`import` is a Rhai keyword.)",
        r#"import_backup(latest_backup("G1"), "rs-01");"#
    ),
    doc!(
        "set_ip",
        "set_ip(server[, address, hostname])",
        "R5",
        true,
        "Replaces the source server's IP address and host name in imported resources (`ismodifyhostinfo`) with the server's own, from the site file unless given.",
        r#"set_ip("rs-01");"#
    ),
    doc!(
        "backups",
        "backups([group]) -> array",
        "",
        false,
        "The backups in the store, newest first, as maps (id, server, role, group, generation, created, files, size).",
        r#"for b in backups("G1") { print(b.id); }"#
    ),
    doc!(
        "latest_backup",
        "latest_backup(group) -> string",
        "R7, R8",
        false,
        "The newest backup of a member of the group that matches its checksums and has an admin backup of the same definitions.",
        r#"let id = latest_backup("G1");"#
    ),
    doc!(
        "backup_info",
        "backup_info(backup) -> map",
        "",
        false,
        "What a backup's manifest says: id, server, role, group, address, hostname, created, files, size.",
        r#"print(backup_info(id).server);"#
    ),
    doc!(
        "group_add",
        "group_add(group, server)",
        "R2, R5, R10",
        true,
        "Adds a reserve (or single-operation) server to a group on the admin server, or asks the operator to do it in the console.",
        r#"group_add("G1", "rs-01");"#
    ),
    doc!(
        "group_remove",
        "group_remove(group, server)",
        "",
        true,
        "Deletes a server from its group on the admin server; it becomes a reserve server. Nothing runs on the server itself.",
        r#"group_remove("G1", "ms-02");"#
    ),
    doc!(
        "members",
        "members(group) -> array",
        "",
        false,
        "The members of a group, from the admin server.",
        r#"for m in members("G1") { print(m); }"#
    ),
    doc!(
        "groups",
        "groups() -> array",
        "",
        false,
        "The site's server groups.",
        r#"print(groups());"#
    ),
    doc!(
        "servers",
        "servers() -> array",
        "",
        false,
        "Every server of the site.",
        r#"print(servers().len());"#
    ),
    doc!(
        "admin",
        "admin() -> string",
        "",
        false,
        "The admin server's name.",
        r#"backup(admin());"#
    ),
    doc!(
        "role",
        "role(server) -> string",
        "",
        false,
        "The server's role now: admin, member, single, reserve or standalone.",
        r#"print(role("rs-01"));"#
    ),
    doc!(
        "group_of",
        "group_of(server) -> string or ()",
        "",
        false,
        "The group the server belongs to, or ().",
        r#"let g = group_of("ms-01");"#
    ),
    doc!(
        "former_group",
        "former_group(server) -> string or ()",
        "",
        false,
        "The group the server was deleted from by kuroko, if it has not joined one since.",
        r#"let g = former_group("ms-02");"#
    ),
    doc!(
        "read_file",
        "read_file(server, path) -> string",
        "",
        false,
        "A small regular text file under the server's root (a relative path, normalised; never read through a symbolic link on the server).",
        r#"print(read_file("ms-01", "etc/opt/FJSVisas/isas.conf"));"#
    ),
    doc!(
        "write_file",
        "write_file(server, path, text)",
        "",
        true,
        "Writes a small file below the site's `[files] writable` folders (default var/tmp); never into the Interstage resources, the certificate environment, the install folder or kuroko's record, however the path is spelled, and never through a symbolic link on the server.",
        r#"write_file("ms-01", "var/tmp/change.txt", "CR-42");"#
    ),
    doc!(
        "batch",
        "batch(targets, [options,] |server| ...) -> map",
        "R4",
        true,
        "Runs the closure on many servers at once. targets: a selector (all, group:G, role:R, a,b, ms-*) or an array; options: #{ forks, batch, pause, on_failure }. Returns #{ succeeded, failed, not_started }.",
        r#"batch("group:G1", #{ forks: 2 }, |s| backup(s));"#
    ),
    doc!(
        "step",
        "step(text)",
        "",
        false,
        "Announces the next numbered step of the runbook.",
        r#"step("back up a member");"#
    ),
    doc!(
        "tr",
        "tr(id[, #{name: value}]) -> string",
        "",
        false,
        "A message from kuroko's catalogues (`locales/en/*.ftl`, `locales/ja/*.ftl`) in the operator's language (`--lang`, or the locale), with its named values filled in.",
        r#"step(tr("expand-step-add", #{ server: "rs-01", group: "G1" }));"#
    ),
    doc!(
        "manual_step",
        "manual_step(text)",
        "",
        true,
        "A step only a person can do: waits for `done` on a terminal; with --yes it is taken as done beforehand.",
        r#"manual_step("repair ms-02");"#
    ),
    doc!(
        "pause",
        "pause(seconds)",
        "",
        false,
        "Waits, and stops at once on Ctrl-C.",
        r#"pause(5);"#
    ),
    doc!(
        "param",
        "param(name[, default]) -> string",
        "",
        false,
        "A runbook parameter (-p name=value, or the site file's [params.RUNBOOK]).",
        r#"let server = param("server");"#
    ),
    doc!(
        "dry_run",
        "dry_run() -> bool",
        "",
        false,
        "Whether this run only prints its plan.",
        r#"if dry_run() { print("plan only"); }"#
    ),
];

pub fn find(name: &str) -> Option<&'static Doc> {
    PRIMITIVES.iter().find(|d| d.name == name)
}

/// The reference in Markdown, as kept in `docs/primitives.md`.
pub fn reference() -> String {
    let mut out = String::from(
        "# Primitives\n\nGenerated by `kuroko reference` from `src/primitives/docs.rs`; a test keeps this file current.\n\n",
    );
    out.push_str("| primitive | rules | changes |\n|---|---|---|\n");
    for doc in PRIMITIVES {
        let rules = if doc.rules.is_empty() { "" } else { doc.rules };
        out.push_str(&format!(
            "| [`{}`](#{}) | {rules} | {} |\n",
            doc.signature,
            doc.name,
            if doc.changes { "yes" } else { "" }
        ));
    }
    for doc in PRIMITIVES {
        out.push_str(&format!("\n## {}\n\n`{}`\n\n{}\n", doc.name, doc.signature, doc.summary));
        if !doc.rules.is_empty() {
            out.push_str(&format!("\nChecks {} before it changes anything.\n", doc.rules));
        }
        out.push_str(&format!("\n```rhai\n{}\n```\n", doc.example));
    }
    out
}

/// `help` in the REPL: every primitive, or one.
pub fn help(topic: Option<&str>) -> String {
    match topic.map(str::trim).filter(|t| !t.is_empty()) {
        None => {
            let mut out = String::from("primitives (help NAME for one):\n");
            for doc in PRIMITIVES {
                out.push_str(&format!("  {:<58} {}\n", doc.signature, doc.rules));
            }
            out
        }
        Some(name) => match find(name) {
            Some(doc) => {
                let rules = if doc.rules.is_empty() {
                    String::new()
                } else {
                    format!("\nchecks: {}", doc.rules)
                };
                format!("{}\n{}{rules}\nexample: {}\n", doc.signature, doc.summary, doc.example)
            }
            None => {
                let hint = crate::site::suggest(name, PRIMITIVES.iter().map(|d| d.name))
                    .map(|s| format!(": did you mean `{s}`?"))
                    .unwrap_or_default();
                format!("no primitive `{name}`{hint}\n")
            }
        },
    }
}
