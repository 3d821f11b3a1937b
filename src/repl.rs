//! `kuroko repl`: Rhai against a live site, one input at a time, with line editing,
//! history, multi-line input, completion of primitives and server names, and `help` from
//! the primitives' docs. The same rules apply and every step goes to the journal; servers
//! the session stopped are started again when it ends, unless marked down (R11).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rhai::{AST, Dynamic, Scope};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use crate::engine;
use crate::error::{Error, Result};
use crate::primitives::docs::{self, PRIMITIVES};
use crate::runbook::Runbook;
use crate::runtime::Runtime;

/// Completes primitive, server and group names.
struct Words {
    words: Vec<String>,
}

impl Completer for Words {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |i| i + 1);
        let word = &line[start..pos];
        let pairs = self
            .words
            .iter()
            .filter(|w| !word.is_empty() && w.starts_with(word))
            .map(|w| Pair { display: w.clone(), replacement: w.clone() })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for Words {
    type Hint = String;
}
impl Highlighter for Words {}
impl Validator for Words {}
impl Helper for Words {}

/// Whether `text` leaves a bracket, brace or parenthesis open (outside strings), so the
/// input goes on on the next line.
fn is_open(text: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '`' | '\'' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            },
        }
    }
    depth > 0 || quote.is_some()
}

pub fn run(rt: Arc<Runtime>) -> Result<()> {
    let runbook = Runbook {
        name: "repl".into(),
        origin: "repl".into(),
        source: String::new(),
        dir: None,
        sources: Default::default(),
    };
    let (engine, _script) = engine::engine(&rt, &runbook, &Arc::new(BTreeMap::new()));
    let mut words: Vec<String> = PRIMITIVES.iter().map(|d| d.name.to_string()).collect();
    words.extend(rt.site.names());
    words.extend(rt.site.groups.iter().cloned());
    words.extend(["help".to_string(), "exit".to_string()]);
    words.sort();
    words.dedup();
    let mut editor: Editor<Words, DefaultHistory> = Editor::new()
        .map_err(|e| Error::Other(anyhow::anyhow!(crate::msg!("cmd-repl-editor", error = e))))?;
    editor.set_helper(Some(Words { words }));
    let history = std::env::var_os("KUROKO_HISTORY").map(std::path::PathBuf::from).or_else(|| {
        std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".kuroko_history"))
    });
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    rt.report.note(None, &crate::msg!("cmd-repl-welcome", site = rt.site.name));

    let mut scope = Scope::new();
    let mut functions = AST::empty();
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { "kuroko> " } else { "...     " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                return Err(Error::Other(anyhow::anyhow!(crate::msg!(
                    "cmd-repl-input",
                    error = e
                ))));
            }
        };
        let trimmed = line.trim();
        if pending.is_empty() {
            if trimmed == "exit" || trimmed == "quit" {
                break;
            }
            if trimmed == "help" || trimmed.starts_with("help ") {
                let _ = editor.add_history_entry(trimmed);
                rt.report.note(None, docs::help(trimmed.strip_prefix("help")).trim_end());
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
        }
        pending.push_str(&line);
        pending.push('\n');
        let ast = match engine.compile_with_scope(&scope, &pending) {
            Ok(ast) => ast,
            Err(e)
                if matches!(e.err_type(), rhai::ParseErrorType::UnexpectedEOF)
                    || is_open(&pending) =>
            {
                continue;
            }
            Err(e) => {
                crate::tell!("{}", crate::msg!("cmd-error-line", error = e));
                let _ = editor.add_history_entry(pending.trim_end());
                pending.clear();
                continue;
            }
        };
        let _ = editor.add_history_entry(pending.trim_end());
        let input = std::mem::take(&mut pending);
        let checked = Runbook {
            name: "repl".into(),
            origin: "repl".into(),
            source: input.clone(),
            dir: None,
            sources: Default::default(),
        };
        let defined: std::collections::BTreeSet<String> =
            functions.iter_functions().map(|f| f.name.to_string()).collect();
        let problems = crate::check::check_with(&checked, &defined, false);
        if !problems.is_empty() {
            crate::tell!("{}", crate::msg!("cmd-error-line", error = Error::Several(problems)));
            continue;
        }
        let runnable = functions.merge(&ast);
        match engine.eval_ast_with_scope::<Dynamic>(&mut scope, &runnable) {
            Ok(value) if !value.is_unit() => rt.report.note(None, &format!("{value:?}")),
            Ok(_) => {}
            Err(e) => {
                let error =
                    rt.take_failure().map(|e| e.to_string()).unwrap_or_else(|| e.to_string());
                crate::tell!("{}", crate::msg!("cmd-error-line", error = error));
            }
        }
        functions = functions.merge(&ast.clone_functions_only());
        rt.cancel.store(false, Ordering::SeqCst);
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    for line in rt.restart_stopped() {
        rt.report.warn(&line);
    }
    Ok(())
}
