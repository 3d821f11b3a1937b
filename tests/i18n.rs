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
