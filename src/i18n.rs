//! Messages in English and Japanese, from Fluent catalogues (`locales/en.ftl`,
//! `locales/ja.ftl`, built into the binary). The language is `--lang ja|en`, else the
//! locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: `ja_JP.UTF-8` → Japanese), else English.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

pub const EN: &str = include_str!("../locales/en.ftl");
pub const JA: &str = include_str!("../locales/ja.ftl");

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

pub fn parse(text: &str) -> Option<Lang> {
    match text.to_ascii_lowercase().as_str() {
        "ja" | "jp" | "japanese" | "日本語" => Some(Lang::Ja),
        "en" | "english" => Some(Lang::En),
        _ => None,
    }
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
        let make = |source: &str, id: &str| {
            let langid: unic_langid::LanguageIdentifier = id.parse().expect("a valid language id");
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Terminal text: no Unicode isolation marks around placeables.
            bundle.set_use_isolating(false);
            let resource = FluentResource::try_new(source.to_string())
                .unwrap_or_else(|(resource, _)| resource);
            let _ = bundle.add_resource(resource);
            bundle
        };
        [make(EN, "en"), make(JA, "ja")]
    });
    match lang {
        Lang::En => &bundles[0],
        Lang::Ja => &bundles[1],
    }
}

/// The message `id` in the language in use, with `args`. A message missing from that
/// catalogue falls back to English, then to its id (a test keeps both complete).
pub fn t(id: &str, args: &[(&str, &str)]) -> String {
    let mut fluent = FluentArgs::new();
    for (name, value) in args {
        fluent.set(*name, value.to_string());
    }
    for lang in [lang(), Lang::En] {
        let bundle = bundle(lang);
        if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return bundle.format_pattern(pattern, Some(&fluent), &mut errors).into_owned();
        }
    }
    id.to_string()
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

    #[test]
    fn every_message_is_in_both_languages_and_parses() {
        let (en, ja) = (ids(EN), ids(JA));
        assert!(en.len() > 20, "{en:?}");
        assert_eq!(en, ja, "the catalogues must define the same ids in the same order");
        for (source, name) in [(EN, "en"), (JA, "ja")] {
            if let Err((_, errors)) = FluentResource::try_new(source.to_string()) {
                panic!("locales/{name}.ftl does not parse: {errors:?}");
            }
        }
        for rule in crate::rules::Rule::ALL {
            assert!(en.contains(&format!("rule-{rule}")), "{rule} has no title");
        }
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
