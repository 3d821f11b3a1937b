//! A place on a server, relative to the server's root: the one type every primitive,
//! manifest field and archive entry uses for it. It is normalised when made (no `.`,
//! `..`, empty or absolute component, no control character), so two spellings of one
//! place are one value, and it is compared component by component, never as text.

use std::fmt;

/// Longest path accepted (Linux `PATH_MAX`) and longest component (`NAME_MAX`).
const MAX_PATH: usize = 4096;
const MAX_COMPONENT: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerPath(String);

impl ServerPath {
    /// A path written by a person or a runbook: `.` and repeated `/` are dropped;
    /// `..`, an absolute path and control characters are refused.
    pub fn parse(text: &str) -> Result<ServerPath, String> {
        if text.starts_with('/') {
            return Err(crate::msg!("transport-path-absolute", path = shown(text)));
        }
        let mut parts = Vec::new();
        for part in text.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    return Err(crate::msg!("transport-path-dotdot", path = shown(text)));
                }
                part => parts.push(part),
            }
        }
        ServerPath::from_parts(text, &parts)
    }

    /// A path read from an archive or a manifest: it must already be in normal form, so
    /// that nothing can read it two ways.
    pub fn exact(text: &str) -> Result<ServerPath, String> {
        let parts: Vec<&str> = text.split('/').collect();
        if parts.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
            return Err(crate::msg!("transport-path-not-plain", path = shown(text)));
        }
        ServerPath::from_parts(text, &parts)
    }

    fn from_parts(text: &str, parts: &[&str]) -> Result<ServerPath, String> {
        if parts.is_empty() {
            return Err(crate::msg!("transport-path-empty"));
        }
        if text.len() > MAX_PATH || parts.iter().any(|p| p.len() > MAX_COMPONENT) {
            return Err(crate::msg!(
                "transport-path-too-long",
                path = shown(&text[..text.len().min(60)])
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(crate::msg!("transport-path-control", path = shown(text)));
        }
        Ok(ServerPath(parts.join("/")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The folder holding this path (`None` at the top).
    pub fn parent(&self) -> Option<ServerPath> {
        self.0.rsplit_once('/').map(|(parent, _)| ServerPath(parent.to_string()))
    }

    pub fn join(&self, name: &str) -> Result<ServerPath, String> {
        ServerPath::parse(&format!("{}/{name}", self.0))
    }

    /// Whether `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &ServerPath) -> bool {
        self.0 == other.0 || self.0.starts_with(&format!("{}/", other.0))
    }

    /// Whether this path lies inside a match of `pattern`, or is one of the folders above
    /// a match (writing either would touch what the pattern protects).
    pub fn touches(&self, pattern: &str) -> bool {
        let parts: Vec<&str> = pattern.split('/').collect();
        let names: Vec<&str> = self.components().collect();
        parts.iter().zip(&names).all(|(p, n)| glob_component(p, n))
    }

    /// The match of `pattern` this path lies in (the pattern's unit), if any.
    pub fn unit_of(&self, pattern: &str) -> Option<ServerPath> {
        let parts: Vec<&str> = pattern.split('/').collect();
        let names: Vec<&str> = self.components().collect();
        if names.len() < parts.len() {
            return None;
        }
        let all = parts.iter().zip(&names).all(|(p, n)| glob_component(p, n));
        all.then(|| ServerPath(names[..parts.len()].join("/")))
    }
}

impl fmt::Display for ServerPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text safe to show in a message: control characters made visible.
fn shown(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect()
}

/// `*` matches any run of characters inside one component.
pub fn glob_component(pattern: &str, name: &str) -> bool {
    fn glob(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| glob(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && glob(rest, &n[1..]),
        }
    }
    glob(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_place_are_one_value() {
        let a = ServerPath::parse("etc/./opt//FJSVisas/").unwrap();
        assert_eq!(a.as_str(), "etc/opt/FJSVisas");
        assert!(ServerPath::parse("etc/../x").is_err());
        assert!(ServerPath::parse("/etc").is_err());
        assert!(ServerPath::parse("./.").is_err());
        assert!(ServerPath::parse("a\nb").is_err());
        assert!(ServerPath::exact("etc/./opt").is_err());
        assert!(ServerPath::exact("./etc").is_err());
        assert!(ServerPath::exact("etc/opt/").is_err());
    }

    #[test]
    fn protection_covers_matches_and_the_folders_above_them() {
        let p = |t| ServerPath::parse(t).unwrap();
        assert!(p("etc/opt/FJSVisas/x").touches("etc/opt/FJSV*"));
        assert!(p("etc/opt").touches("etc/opt/FJSV*"));
        assert!(p("etc").touches("etc/opt/FJSV*"));
        assert!(!p("etc/hosts").touches("etc/opt/FJSV*"));
        assert!(!p("etc/opt/other").touches("etc/opt/FJSV*"));
        assert_eq!(p("var/opt/FJSVa/b").unit_of("var/*/FJSV*").unwrap().as_str(), "var/opt/FJSVa");
        assert!(p("var/opt").unit_of("var/opt/FJSV*").is_none());
    }
}
