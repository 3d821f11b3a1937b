//! Messages in English and Japanese, from Fluent catalogues (`locales/en/*.ftl`,
//! `locales/ja/*.ftl`, one pair per area, built into the binary). The language is `--lang ja|en`, else the
//! locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: `ja_JP.UTF-8` → Japanese), else English.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// The catalogues: (area, English, Japanese). Ids are unique across areas.
pub const CATALOGUES: &[(&str, &str, &str)] = &[
    ("core", include_str!("../locales/en/core.ftl"), include_str!("../locales/ja/core.ftl")),
    (
        "primitives",
        include_str!("../locales/en/primitives.ftl"),
        include_str!("../locales/ja/primitives.ftl"),
    ),
    (
        "sitefile",
        include_str!("../locales/en/sitefile.ftl"),
        include_str!("../locales/ja/sitefile.ftl"),
    ),
    (
        "transport",
        include_str!("../locales/en/transport.ftl"),
        include_str!("../locales/ja/transport.ftl"),
    ),
    (
        "commands",
        include_str!("../locales/en/commands.ftl"),
        include_str!("../locales/ja/commands.ftl"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

/// 0: not chosen yet (the locale decides), 1: English, 2: Japanese.
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// `--lang`: `ja` or `en` (anything else is a usage error, said by the caller).
pub fn choose(lang: Lang) {
    CHOSEN.store(if lang == Lang::Ja { 2 } else { 1 }, Ordering::SeqCst);
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
}

pub fn parse(text: &str) -> Option<Lang> {
    match text.to_ascii_lowercase().as_str() {
        "ja" | "jp" | "japanese" | "日本語" => Some(Lang::Ja),
        "en" | "english" => Some(Lang::En),
        _ => None,
    }
}

/// Runs `f` with `lang` as the language in use, then goes back to the one before.
pub fn with_lang<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    let before = CHOSEN.swap(if lang == Lang::Ja { 2 } else { 1 }, Ordering::SeqCst);
    let result = f();
    CHOSEN.store(before, Ordering::SeqCst);
    result
}

/// The language in use.
pub fn lang() -> Lang {
    match CHOSEN.load(Ordering::SeqCst) {
        1 => Lang::En,
        2 => Lang::Ja,
        _ => from_locale(),
    }
}

/// The locale's language, as POSIX looks it up: the first of `LC_ALL`, `LC_MESSAGES`,
/// `LANG` that is set and not empty.
fn from_locale() -> Lang {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .unwrap_or_default();
    if locale.to_ascii_lowercase().starts_with("ja") { Lang::Ja } else { Lang::En }
}

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    let bundles = BUNDLES.get_or_init(|| {
        let make = |japanese: bool, id: &str| {
            let langid: unic_langid::LanguageIdentifier = id.parse().expect("a valid language id");
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Terminal text: no Unicode isolation marks around placeables.
            bundle.set_use_isolating(false);
            for (_, en, ja) in CATALOGUES {
                let source = if japanese { ja } else { en };
                let resource = FluentResource::try_new(source.to_string())
                    .unwrap_or_else(|(resource, _)| resource);
                let _ = bundle.add_resource(resource);
            }
            bundle
        };
        [make(false, "en"), make(true, "ja")]
    });
    match lang {
        Lang::En => &bundles[0],
        Lang::Ja => &bundles[1],
    }
}

/// The message `id` in the language in use, with `args`. A message missing from that
/// catalogue falls back to English, then to its id (a test keeps both complete).
pub fn t(id: &str, args: &[(&str, &str)]) -> String {
    t_in(lang(), id, args)
}

/// The message `id` in `lang`, whatever the language in use (a plan is written and read
/// back in its author's language).
pub fn t_in(lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
    let mut fluent = FluentArgs::new();
    for (name, value) in args {
        fluent.set(*name, value.to_string());
    }
    for lang in [lang, Lang::En] {
        let bundle = bundle(lang);
        if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return bundle.format_pattern(pattern, Some(&fluent), &mut errors).into_owned();
        }
    }
    id.to_string()
}

/// `msg!("id", name = value, …)`: the message `id` in the language in use, each value
/// formatted with `Display`. A test finds every id used in the sources in both catalogues.
#[macro_export]
macro_rules! msg {
    ($id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::t($id, &[$((stringify!($name), &*::std::string::ToString::to_string(&$value))),*])
    };
}

/// The message ids a catalogue defines.
pub fn ids(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once(" =").map(|(id, _)| id.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_message_is_in_both_languages_and_parses() {
        let mut all = BTreeSet::new();
        for (area, en, ja) in CATALOGUES {
            let (en_ids, ja_ids) = (ids(en), ids(ja));
            assert_eq!(
                en_ids, ja_ids,
                "locales/{{en,ja}}/{area}.ftl: not the same ids in the same order"
            );
            for (source, lang) in [(en, "en"), (ja, "ja")] {
                if let Err((_, errors)) = FluentResource::try_new(source.to_string()) {
                    panic!("locales/{lang}/{area}.ftl does not parse: {errors:?}");
                }
            }
            for id in en_ids {
                assert!(all.insert(id.clone()), "`{id}` is defined twice (again in {area}.ftl)");
            }
        }
        assert!(all.len() > 20, "{all:?}");
        for rule in crate::rules::Rule::ALL {
            assert!(all.contains(&format!("rule-{rule}")), "{rule} has no title");
        }
    }

    /// Every message the sources ask for (`msg!("id"`, `t("id"` in Rust, `tr("id"` in the
    /// standard runbooks) is in the catalogues, and every message in them is used.
    #[test]
    fn every_message_used_is_defined_and_every_one_defined_is_used() {
        let defined: BTreeSet<String> = CATALOGUES.iter().flat_map(|(_, en, _)| ids(en)).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        let mut folders = vec![root.join("src"), root.join("stdlib")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("a source folder") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs" || e == "rhai") {
                    sources.push(path);
                }
            }
        }
        let used_pattern = regex::Regex::new(
            r#"(?:msg!\(|\bt\(|\btr\(|\.say\(|\bt_in\(\s*[a-z_.()]*,|\.act\([^"()]*,)\s*"([a-z][a-z0-9-]*)""#,
        )
        .expect("a pattern");
        let mut used = BTreeSet::new();
        for path in &sources {
            let text = std::fs::read_to_string(path).expect("a readable source");
            // Comments may show the form with a made-up id.
            let code: String = text
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .map(|line| format!("{line}\n"))
                .collect();
            for caps in used_pattern.captures_iter(&code) {
                let id = caps[1].to_string();
                assert!(
                    defined.contains(&id),
                    "{}: message `{id}` is in no catalogue",
                    path.display()
                );
                used.insert(id);
            }
        }
        let unused: Vec<&String> =
            defined.iter().filter(|id| !used.contains(*id) && !id.starts_with("rule-")).collect();
        assert!(unused.is_empty(), "defined but never used: {unused:?}");
    }

    #[test]
    fn a_message_is_formatted_in_the_language_chosen() {
        let args = [("server", "rs-01"), ("group", "G1")];
        let english =
            bundle(Lang::En).get_message("expand-step-add").and_then(|m| m.value()).map(|p| {
                let mut f = FluentArgs::new();
                for (k, v) in args {
                    f.set(k, v);
                }
                bundle(Lang::En).format_pattern(p, Some(&f), &mut Vec::new()).into_owned()
            });
        assert_eq!(
            english.as_deref(),
            Some("add rs-01 to group G1 on the admin server (§2.1 step 3)")
        );
        let japanese = bundle(Lang::Ja).get_message("expand-step-add").and_then(|m| m.value());
        assert!(japanese.is_some());
    }
}
