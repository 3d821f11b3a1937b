//! The rules R1–R11 of DOMAIN.md §3: one place that names them, says which may be
//! overridden with `--force`, and builds the refusals primitives return.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    R8,
    R9,
    R10,
    R11,
}

impl Rule {
    pub const ALL: [Rule; 11] = [
        Rule::R1,
        Rule::R2,
        Rule::R3,
        Rule::R4,
        Rule::R5,
        Rule::R6,
        Rule::R7,
        Rule::R8,
        Rule::R9,
        Rule::R10,
        Rule::R11,
    ];

    /// Only a planned outage (R4) and an out-of-step generation (R7) may be overridden.
    pub fn is_overridable(self) -> bool {
        matches!(self, Rule::R4 | Rule::R7)
    }

    pub fn summary(self) -> &'static str {
        match self {
            Rule::R1 => "import and restore target only a reserve or standalone server",
            Rule::R2 => "a server joins group G only with resources from a backup of a member of G",
            Rule::R3 => "recovering a server of group G restores only a backup of a member of G",
            Rule::R4 => "backing up a member stops exactly that member, never the last running one",
            Rule::R5 => "after an import the server-specific information is changed before start",
            Rule::R6 => "the certificate environment travels only if the site's policy allows it",
            Rule::R7 => "admin and managed backups form one consistent generation",
            Rule::R8 => "a backup is used only if it matches its sha256 manifest",
            Rule::R9 => "import source and target match on OS, version, edition and install dir",
            Rule::R10 => "a single-operation managed server joins only an empty group",
            Rule::R11 => "a server a runbook stopped is started again if the runbook fails",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl FromStr for Rule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .into_iter()
            .find(|rule| rule.to_string().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| crate::msg!("prim-rule-unknown", rule = s))
    }
}

/// A rule said no. Built before anything changed, so nothing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: Rule,
    pub server: String,
    pub reason: String,
    pub instead: String,
}

impl Refusal {
    pub fn new(
        rule: Rule,
        server: &str,
        reason: impl Into<String>,
        instead: impl Into<String>,
    ) -> Self {
        Refusal { rule, server: server.to_string(), reason: reason.into(), instead: instead.into() }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::i18n::t;
        let rule = self.rule.to_string();
        write!(
            f,
            "{}",
            t("refused", &[("rule", &rule), ("server", &self.server), ("reason", &self.reason)])
        )?;
        write!(f, "\n  {rule}: {}", t(&format!("rule-{rule}"), &[]))?;
        if !self.instead.is_empty() {
            write!(f, "\n  {}", t("refused-instead", &[("instead", &self.instead)]))?;
        }
        if self.rule.is_overridable() {
            write!(f, "\n  {}", t("refused-force", &[("rule", &rule)]))?;
        }
        Ok(())
    }
}
