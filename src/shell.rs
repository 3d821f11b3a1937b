//! The one way kuroko builds shell text for a server. Every value — a path, a name, an
//! address, a backup pattern, a site-file value — becomes a shell word here, quoted once;
//! fixed script text is `'static` and written in this crate, never assembled from data.
//! Site-file command templates are parsed once into text and placeholders, and rendering
//! substitutes quoted values in a single pass, so a value is never read as a template.

use std::fmt;

/// Shell text ready to run with `sh -c`. Only this module makes one from data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script(String);

impl Script {
    pub fn new() -> Script {
        Script(String::new())
    }

    /// Fixed shell text written in kuroko's own source.
    pub fn text(mut self, text: &'static str) -> Script {
        self.0.push_str(text);
        self
    }

    /// `value` as one shell word, after a space unless the script is empty or ends in
    /// whitespace.
    pub fn arg(mut self, value: &str) -> Script {
        if !self.0.is_empty() && !self.0.ends_with([' ', '\n', '\t']) {
            self.0.push(' ');
        }
        self.0.push_str(&quote(value));
        self
    }

    /// `value`, quoted, joined to the word before it (`PATH='a':'b'`).
    pub fn join(mut self, value: &str) -> Script {
        self.0.push_str(&quote(value));
        self
    }

    /// Several words.
    pub fn args<S: AsRef<str>>(mut self, values: impl IntoIterator<Item = S>) -> Script {
        for value in values {
            self = self.arg(value.as_ref());
        }
        self
    }

    /// A `*` pattern as one word whose literal parts are quoted and whose `*` expand on
    /// the server. The pattern is checked by `check_pattern` when the site is loaded.
    pub fn glob(mut self, pattern: &str) -> Script {
        if !self.0.is_empty() && !self.0.ends_with([' ', '\n', '\t']) {
            self.0.push(' ');
        }
        self.0.push_str(&glob_word(pattern));
        self
    }

    /// `name=VALUE` on a line of its own: scripts take their data as variables.
    pub fn set(mut self, name: &'static str, value: &str) -> Script {
        debug_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        self.0.push_str(name);
        self.0.push('=');
        self.0.push_str(&quote(value));
        self.0.push('\n');
        self
    }

    /// Appends another script.
    pub fn then(mut self, other: &Script) -> Script {
        self.0.push_str(&other.0);
        self
    }

    /// The command line that runs this script: `sh -c SCRIPT`, or through `sudo -n`.
    pub fn command_line(&self, sudo: bool) -> String {
        let prefix = if sudo { "sudo -n -- sh -c " } else { "sh -c " };
        format!("{prefix}{}", quote(&self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Quotes `value` as one word for a POSIX shell. Plain words stay as they are; anything
/// else goes in single quotes, where the shell interprets nothing (a `'` is closed,
/// escaped and reopened). An empty value is `''`, an empty argument.
pub fn quote(value: &str) -> String {
    if !value.is_empty()
        && !value.starts_with(['-', '~', '='])
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+:,@%".contains(&b))
    {
        return value.to_string();
    }
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// `quote` for raw bytes (for example a file name that is not UTF-8).
pub fn quote_bytes(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 2);
    out.push(b'\'');
    for &b in value {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

fn glob_word(pattern: &str) -> String {
    let mut out = String::new();
    for (index, part) in pattern.split('*').enumerate() {
        if index > 0 {
            out.push('*');
        }
        if !part.is_empty() {
            out.push_str(&format!("'{}'", part.replace('\'', "'\\''")));
        }
    }
    if out.is_empty() { "''".into() } else { out }
}

/// A backup or certificate pattern: a relative path whose components hold letters,
/// digits, `.`, `_`, `-` and `*` only, with no `.` or `..` component.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    let ok = !pattern.is_empty()
        && pattern.len() <= 1024
        && pattern.split('/').all(|c| {
            !c.is_empty()
                && !c.starts_with('.')
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-*".contains(&b))
        });
    if ok { Ok(()) } else { Err(crate::msg!("transport-pattern-invalid", pattern = pattern)) }
}

/// What scripts that read or write on a server start with (`Script::guarded`): the
/// system's own PATH (kuroko's `tar`, `mktemp` and `sha256sum` never come from a folder a
/// site or a backup could fill), and shell functions whose own variables start with `_k`
/// so they never clobber a caller's:
/// `nolink PATH` fails if any existing component of the relative PATH is a symbolic link
/// (kuroko writes through none), and `ownd DIR` makes DIR if missing and checks that it
/// is a real folder owned by this user, private to it.
const GUARDS: &str = r#"PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH
nolink() {
  _kp=; _kr=$1
  while [ -n "$_kr" ]; do
    _kc=${_kr%%/*}
    if [ "$_kc" = "$_kr" ]; then _kr=; else _kr=${_kr#*/}; fi
    _kp=${_kp:+$_kp/}$_kc
    if [ -L "$_kp" ]; then echo "refused: \`$_kp' is a symbolic link on the server: kuroko writes and reads through none" >&2; return 1; fi
  done
}
ownd() {
  nolink "$1" || return 1
  mkdir -p -- "$1" || return 1
  nolink "$1" || return 1
  if [ ! -d "$1" ] || [ ! -O "$1" ]; then echo "refused: \`$1' on the server is not a folder owned by $(id -un)" >&2; return 1; fi
  chmod 700 -- "$1"
}
"#;

impl Script {
    /// A script that starts with the `nolink` and `ownd` guards.
    pub fn guarded() -> Script {
        Script(GUARDS.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot(String),
}

/// A site-file command template: shell text with `{name}` placeholders (a lowercase
/// name). Other braces are shell text (`awk '{ print $1 }'`, `${HOME}`); `{{` and `}}`
/// write a literal brace anywhere, as in `${{var}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`, refusing placeholders not in `allowed` and unpaired braces.
    pub fn parse(text: &str, allowed: &[&str]) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    // `{name}` with a lowercase identifier is a placeholder; any other brace
                    // (`awk '{ print }'`, `${HOME}`, a lone one) is shell text.
                    let rest = &text[at + 1..];
                    let name = rest.find('}').map(|end| &rest[..end]).filter(|name| {
                        !name.is_empty()
                            && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    });
                    let Some(name) = name else {
                        literal.push('{');
                        continue;
                    };
                    if !allowed.contains(&name) {
                        let placeholder = format!("{{{name}}}");
                        let escaped = format!("{{{{{name}}}}}");
                        return Err(match crate::site::suggest(name, allowed.iter().copied()) {
                            Some(s) => crate::msg!(
                                "transport-placeholder-suggest",
                                placeholder = placeholder,
                                text = text,
                                suggestion = format!("{{{s}}}"),
                                literal = escaped
                            ),
                            None if allowed.is_empty() => crate::msg!(
                                "transport-placeholder-none",
                                placeholder = placeholder,
                                text = text,
                                literal = escaped
                            ),
                            None => crate::msg!(
                                "transport-placeholder-list",
                                placeholder = placeholder,
                                text = text,
                                allowed = allowed
                                    .iter()
                                    .map(|a| format!("`{{{a}}}`"))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                literal = escaped
                            ),
                        });
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Slot(name.to_string()));
                    for _ in 0..name.chars().count() + 1 {
                        chars.next();
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(t) if t.trim().is_empty()))
    }

    /// The template filled as plain text (for a value such as a PATH entry, which is data
    /// and is quoted as a whole afterwards), in one pass.
    pub fn fill(&self, values: &[(&str, &str)]) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Slot(name) => out.push_str(
                    values.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap_or(""),
                ),
            }
        }
        out
    }

    /// The script with every placeholder replaced by its value, quoted, in one pass. An
    /// empty value (the root `/`, `{managed}` on the admin server) leaves nothing rather
    /// than an empty argument; a placeholder without a value is left empty too.
    pub fn render(&self, values: &[(&str, &str)]) -> Script {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Slot(name) => {
                    let value =
                        values.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap_or("");
                    if !value.is_empty() {
                        out.push_str(&quote(value));
                    }
                }
            }
        }
        Script(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_and_the_rest_is_quoted_once() {
        assert_eq!(quote("/opt/FJSVisas"), "/opt/FJSVisas");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("-rf"), "'-rf'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn templates_substitute_in_one_pass_and_escape_braces() {
        let t = Template::parse(
            "{root}/bin/x {group} ${{HOME}} awk '{{print $1}}'",
            &["root", "group"],
        )
        .unwrap();
        let s = t.render(&[("root", ""), ("group", "{root}; rm -rf /")]);
        assert_eq!(s.as_str(), "/bin/x '{root}; rm -rf /' ${HOME} awk '{print $1}'");
        assert!(Template::parse("x {nope}", &["root"]).unwrap_err().contains("unknown"));
        let raw = Template::parse("awk '{print $1}' {root ${HOME} } {}", &["root"]).unwrap();
        assert_eq!(raw.render(&[]).as_str(), "awk '{print $1}' {root ${HOME} } {}");
    }

    #[test]
    fn words_are_separated_and_joined_words_are_not() {
        let s = Script::new()
            .text("PATH=")
            .join("/a b")
            .text(":")
            .join("$(x)")
            .text(";")
            .arg("-e")
            .arg("c");
        assert_eq!(s.as_str(), "PATH='/a b':'$(x)'; '-e' c");
    }

    #[test]
    fn globs_quote_everything_but_the_star() {
        assert_eq!(glob_word("etc/opt/FJSV*"), "'etc/opt/FJSV'*");
        assert_eq!(glob_word("*/x"), "*'/x'");
        assert!(check_pattern("etc/opt/FJSV*;touch x").is_err());
        assert!(check_pattern("etc/../x").is_err());
        assert!(check_pattern("etc/$(x)").is_err());
        assert!(check_pattern("etc/opt/FJSV*").is_ok());
        assert!(check_pattern("etc/.*").is_err());
    }
}
