//! Where in the text a scenario file's error is: its line and field.

use super::FileError;

/// The 1-based lines of the `[[step]]` headers (spaced or commented as
/// TOML allows).
pub(super) fn step_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let code = l.split('#').next().unwrap_or_default();
            code.split_whitespace().collect::<String>() == "[[step]]"
        })
        .map(|(i, _)| i + 1)
        .collect()
}

/// The byte offset where step `i`'s table ends (the next header, or the end).
pub(super) fn end_of_step(lines: &[usize], i: usize, text: &str) -> usize {
    lines
        .get(i + 1)
        .map_or(text.len(), |&next| line_offset(text, next))
}

fn line_offset(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

/// The line of `key = …` from line `from_line` on, before byte `end`.
pub(super) fn key_line(text: &str, from_line: usize, end: usize, key: &str) -> Option<usize> {
    let start = line_offset(text, from_line.max(1));
    text.get(start..end)?
        .lines()
        .position(|l| {
            l.split_once('=')
                .is_some_and(|(k, _)| k.trim().trim_matches('"') == key)
        })
        .map(|i| from_line.max(1) + i)
}

/// A TOML or schema error as a line and, when the message names one, a field.
pub(super) fn locate(text: &str, e: &toml::de::Error) -> FileError {
    let offset = e.span().map_or(0, |s| s.start).min(text.len());
    let line = text.get(..offset).unwrap_or(text).matches('\n').count() + 1;
    let reason = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    // The region the error is about: from its line to the next table header.
    let end = text
        .get(offset..)
        .and_then(|rest| rest.find("\n["))
        .map_or(text.len(), |i| offset + i + 1);
    // serde names the offender first, in backticks (`units`, or a bad value);
    // a value of the wrong type comes quoted (`string "5"`). What follows
    // ("expected one of `a`, `b`") lists the allowed, not the offender.
    let offender = reason
        .split('`')
        .nth(1)
        .or_else(|| reason.split('"').nth(1))
        .filter(|w| !w.is_empty());
    if let Some(word) = offender {
        if let Some(at) = key_line(text, line, end, word) {
            return FileError {
                line: at,
                field: Some(word.to_owned()),
                reason,
            };
        }
        if let Some((at, key)) = value_line(text, line, end, word) {
            return FileError {
                line: at,
                field: Some(key),
                reason,
            };
        }
    }
    FileError {
        line,
        field: e.keys_hint(),
        reason,
    }
}

/// The line (from `from_line`, before byte `end`) whose value is `word`, or
/// else contains it (an inline table), with its key.
fn value_line(text: &str, from_line: usize, end: usize, word: &str) -> Option<(usize, String)> {
    let region = text.get(line_offset(text, from_line)..end)?;
    let find = |exact: bool| {
        region.lines().enumerate().find_map(|(i, l)| {
            let (key, value) = l.split_once('=')?;
            let value = value.trim().trim_matches('"');
            let found = if exact {
                value == word
            } else {
                value.contains(word)
            };
            found.then(|| (from_line + i, key.trim().to_owned()))
        })
    };
    find(true).or_else(|| find(false))
}

trait KeysHint {
    fn keys_hint(&self) -> Option<String>;
}

impl KeysHint for toml::de::Error {
    /// A missing field is named in the message, not in the span.
    fn keys_hint(&self) -> Option<String> {
        let m = self.message();
        m.strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    }
}
