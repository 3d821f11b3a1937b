//! Messages in Japanese and English: the locale or `--lang` chooses, the manual's own
//! terms are used (移入, リザーブサーバ, サーバグループ, サーバ固有情報).

use crate::support::{Run, Site};

fn kuroko_with_locale(site: &Site, lang: &str, args: &[&str]) -> Run {
    site.kuroko_in_locale(lang, args)
}

#[test]
fn expand_speaks_japanese_under_a_japanese_locale_and_english_otherwise() {
    let site = Site::new();
    let ja = kuroko_with_locale(
        &site,
        "ja_JP.UTF-8",
        &["run", "expand", "-p", "group=G1", "-p", "server=rs-01", "--dry-run"],
    )
    .success();
    for term in
        ["== 手順 1：", "移入", "リザーブサーバ", "サーバ固有情報", "サーバグループ", "ドライラン"]
    {
        assert!(ja.stdout.contains(term), "no {term:?} in:\n{}", ja.stdout);
    }
    assert!(!ja.stdout.contains("== step 1:"), "{}", ja.stdout);
    let en = kuroko_with_locale(
        &site,
        "en_US.UTF-8",
        &["run", "expand", "-p", "group=G1", "-p", "server=rs-01", "--dry-run"],
    )
    .success();
    assert!(en.stdout.contains("== step 1: back up member ms-01 of group G1"), "{}", en.stdout);
    assert!(!en.stdout.contains("手順"), "{}", en.stdout);
    // `--lang` wins over the locale, both ways.
    let forced = kuroko_with_locale(
        &site,
        "C",
        &["--lang", "ja", "run", "expand", "-p", "group=G1", "-p", "server=rs-01", "--dry-run"],
    )
    .success();
    assert!(forced.stdout.contains("== 手順 4："), "{}", forced.stdout);
    kuroko_with_locale(&site, "ja_JP.UTF-8", &["--lang", "fr", "status"]).code(2).stderr_has("ja");
    // And for real, in Japanese.
    let backup = kuroko_with_locale(&site, "ja_JP.UTF-8", &["run", "backup-site"]).success();
    for term in [
        "== 手順 1：管理サーバ adm をバックアップします",
        "単独運用の管理対象サーバ",
        "がそろいました",
    ] {
        assert!(backup.stdout.contains(term), "no {term:?} in:\n{}", backup.stdout);
    }
    let run = kuroko_with_locale(
        &site,
        "ja_JP.UTF-8",
        &["run", "expand", "-p", "group=G1", "-p", "server=rs-01"],
    )
    .success();
    assert!(run.stdout.contains("ランブック `expand` が完了しました"), "{}", run.stdout);
    assert_eq!(site.state("rs-01"), "running");
}

#[test]
fn refusals_name_their_rule_and_what_to_do_in_japanese() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let ms01 = site.backup_of("ms-01");
    let script = |source: &str| {
        let path = site.temp.path().join(format!("r{}.rhai", source.len()));
        std::fs::write(&path, source).unwrap();
        path.to_str().unwrap().to_string()
    };
    let cases = [
        // R1: an import onto a member of a group.
        ("R1", script(&format!("import_backup(\"{ms01}\", \"ms-02\");")), "rule-R1"),
        // R4: the last running member of G1 stopped.
        ("R4", script("stop_interstage(\"ms-01\");\nstop_interstage(\"ms-02\");"), "rule-R4"),
        // R5: started with another server's identity.
        (
            "R5",
            script(&format!("import_backup(\"{ms01}\", \"rs-01\");\nstart_interstage(\"rs-01\");")),
            "rule-R5",
        ),
        // R2: added to a group without its resources.
        ("R2", script("group_add(\"G1\", \"rs-01\");"), "rule-R2"),
    ];
    let titles = ja_titles();
    for (rule, path, title) in cases {
        let before = site.snapshot();
        let run = kuroko_with_locale(&site, "ja_JP.UTF-8", &["run", &path]).code(3);
        assert!(
            run.stderr.contains(&format!("{rule} により拒否しました")),
            "{rule}:\n{}",
            run.stderr
        );
        let expected = &titles[title];
        assert!(
            run.stderr.contains(expected.as_str()),
            "{rule}: no {expected:?} in:\n{}",
            run.stderr
        );
        assert!(run.stderr.contains("代わりに：") || rule == "R4", "{rule}:\n{}", run.stderr);
        crate::support::assert_unchanged(&before, &site.snapshot());
    }
}

/// The Japanese titles of the rules, from the catalogue.
fn ja_titles() -> std::collections::BTreeMap<String, String> {
    kuroko::i18n::CATALOGUES
        .iter()
        .flat_map(|(_, _, ja)| ja.lines())
        .filter(|l| l.starts_with("rule-R"))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Whether `text` holds Japanese (kana or kanji), not only the frame's.
fn japanese(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
}

/// Every rule's refusal, R1 to R11, reads in Japanese: the frame, the rule's title, and
/// the reason itself; and changes nothing.
#[test]
fn every_rules_refusal_reads_in_japanese_reason_and_all() {
    let site = Site::new();
    // Two site generations: the older member backup is damaged (R8), the newer used.
    site.kuroko(&["run", "backup-site"]).success();
    let damaged = site.backup_of("ms-01");
    site.kuroko(&["run", "backup-site"]).success();
    let ms01 = site.backup_of("ms-01");
    assert_ne!(damaged, ms01);
    // ms-02 recovered: no longer in G1 (R3).
    site.script(r#"stop_interstage("ms-02"); group_remove("G1", "ms-02");"#, &[]).success();
    // A managed backup taken since: no admin backup has its group definitions (R7).
    let lone = site.script(r#"print(backup("ms-03"));"#, &[]).success().stdout;
    let lone = lone.lines().find(|l| l.ends_with("/ms-03")).unwrap().trim().to_string();
    let archive = site.store().join(&damaged).join("archive.tar");
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes[600] ^= 0x20;
    std::fs::write(&archive, bytes).unwrap();
    let script = |rule: &str, source: &str| {
        let path = site.temp.path().join(format!("rule-{rule}.rhai"));
        std::fs::write(&path, source).unwrap();
        path.to_str().unwrap().to_string()
    };
    let cases = [
        ("R1", script("R1", &format!("import_backup(\"{ms01}\", \"ms-01\");"))),
        ("R2", script("R2", "group_add(\"G1\", \"rs-01\");")),
        ("R3", script("R3", "restore(latest_backup(\"G2\"), \"ms-02\");")),
        ("R4", script("R4", "stop_interstage(\"ms-01\");")),
        (
            "R5",
            script(
                "R5",
                &format!("import_backup(\"{ms01}\", \"rs-01\");\nstart_interstage(\"rs-01\");"),
            ),
        ),
        (
            "R6",
            script(
                "R6",
                &format!("import_backup(\"{ms01}\", \"rs-01\", #{{ certificate: true }});"),
            ),
        ),
        ("R7", script("R7", &format!("import_backup(\"{lone}\", \"rs-01\");"))),
        ("R8", script("R8", &format!("import_backup(\"{damaged}\", \"rs-01\");"))),
        ("R10", script("R10", "group_add(\"G1\", \"ss-01\");")),
    ];
    let check = |rule: &str, args: &[&str]| {
        let before = site.snapshot();
        let run = kuroko_with_locale(&site, "ja_JP.UTF-8", args).code(3);
        let first = run
            .stderr
            .lines()
            .find(|l| l.contains("により拒否しました"))
            .unwrap_or_else(|| panic!("{rule}: no Japanese refusal in:\n{}", run.stderr));
        assert!(first.contains(&format!("{rule} により拒否しました")), "{rule}:\n{}", run.stderr);
        let reason = first.split_once('：').map(|(_, r)| r).unwrap_or_default();
        assert!(japanese(reason), "{rule}: the reason is not Japanese: {first}");
        crate::support::assert_unchanged(&before, &site.snapshot());
    };
    for (rule, path) in &cases {
        check(rule, &["run", path]);
    }
    // R9: the target runs another Interstage version.
    let text = std::fs::read_to_string(site.site_file()).unwrap();
    let other = text.replace(
        "root = \"servers/rs-01\"\n",
        "root = \"servers/rs-01\"\ninterstage_version = \"12.0\"\n",
    );
    std::fs::write(site.site_file(), &other).unwrap();
    check("R9", &["run", &script("R9", &format!("import_backup(\"{ms01}\", \"rs-01\"); "))]);
    // R11: a site that runs only approved plans, and a run without one.
    let key = site.temp.path().join("approver");
    crate::sshd::keygen(&key);
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let fields: Vec<&str> = public.split_whitespace().take(2).collect();
    std::fs::write(site.dir().join("approvers"), format!("alice {}\n", fields.join(" "))).unwrap();
    std::fs::write(
        site.site_file(),
        format!("approval_signers = \"approvers\"\nrequire_approval = true\n{text}"),
    )
    .unwrap();
    check("R11", &["run", "backup-site"]);
}
