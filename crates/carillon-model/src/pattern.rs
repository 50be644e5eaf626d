//! Model `pattern` constraints: Java regular expressions, checked as a full match.
//!
//! The models' patterns are written for `java.util.regex` and are applied by the service with
//! full-match semantics. They are translated into the syntax of the `regex` crate with Java's
//! meaning kept: `\d`, `\w` and `\s` are ASCII-only, `.` excludes Java's line terminators,
//! `\u` takes exactly four hex digits (`\u00C0`), and a `-` between two class members is a range even
//! when the ends are punctuation (`+-=` is U+002B..U+003D). Patterns that need look-around or
//! back-references are compiled with `fancy-regex`.

use std::fmt::Write as _;

/// Characters Java's `\s` matches: `[ \t\n\x0B\f\r]`.
const SPACE_ITEMS: &str = r"\t\n\x0B\x0C\r\x20";
const WORD_ITEMS: &str = "0-9A-Za-z_";
const DIGIT_ITEMS: &str = "0-9";
/// Java's `.` without DOTALL: anything but a line terminator.
const JAVA_DOT: &str = r"[^\n\r\x{85}\x{2028}\x{2029}]";

pub(crate) struct Pattern {
    source: String,
    matcher: Matcher,
}

enum Matcher {
    Plain(regex::Regex),
    Fancy(fancy_regex::Regex),
}

impl Pattern {
    /// Compiles a model pattern for full-match checks.
    pub(crate) fn compile(source: &str) -> Result<Self, String> {
        let (body, fancy) = translate(source)?;
        let anchored = format!("^(?:{body})$");
        let matcher = if fancy {
            Matcher::Fancy(fancy_regex::Regex::new(&anchored).map_err(|e| e.to_string())?)
        } else {
            Matcher::Plain(regex::Regex::new(&anchored).map_err(|e| e.to_string())?)
        };
        Ok(Pattern {
            source: source.to_owned(),
            matcher,
        })
    }

    /// The pattern as written in the model.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// True when the whole of `text` matches. A value that exhausts the backtracking budget
    /// counts as not matching.
    pub(crate) fn is_full_match(&self, text: &str) -> bool {
        match &self.matcher {
            Matcher::Plain(re) => re.is_match(text),
            Matcher::Fancy(re) => re.is_match(text).unwrap_or(false),
        }
    }
}

/// Translates a Java pattern; the flag says whether it needs the backtracking engine.
pub(crate) fn translate(java: &str) -> Result<(String, bool), String> {
    let chars: Vec<char> = java.chars().collect();
    let mut out = String::with_capacity(java.len() * 2);
    let mut fancy = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let (item, next) = escape(&chars, i + 1)?;
                i = next;
                match item {
                    Escape::Char(ch) => push_literal(&mut out, ch),
                    Escape::Class(class) => {
                        out.push('[');
                        out.push_str(class_items(class));
                        out.push(']');
                    }
                    Escape::BackReference(n) => {
                        fancy = true;
                        let _ = write!(out, "\\{n}");
                    }
                    Escape::Assertion(a) => {
                        out.push('\\');
                        out.push(a);
                    }
                    Escape::Quoted(text) => text.chars().for_each(|ch| push_literal(&mut out, ch)),
                }
                continue;
            }
            '[' => {
                i = class(&chars, i, &mut out)?;
                continue;
            }
            '.' => out.push_str(JAVA_DOT),
            '(' => {
                if chars.get(i + 1) == Some(&'?') {
                    let look = chars.get(i + 2).copied();
                    let behind = look == Some('<') && matches!(chars.get(i + 3), Some('=' | '!'));
                    if matches!(look, Some('=' | '!' | '>')) || behind {
                        fancy = true;
                    }
                }
                out.push('(');
            }
            '*' | '+' | '?' | '}' => {
                out.push(c);
                // A possessive quantifier (`*+`) only exists in the backtracking engine.
                if chars.get(i + 1) == Some(&'+') {
                    fancy = true;
                    out.push('+');
                    i += 1;
                }
            }
            '^' | '$' | '|' | ')' | '{' | ',' | ':' | '=' | '!' | '<' | '>' => out.push(c),
            c if c.is_ascii_alphanumeric() => out.push(c),
            c => push_literal(&mut out, c),
        }
        i += 1;
    }
    Ok((out, fancy))
}

enum Escape {
    Char(char),
    /// One of `d D w W s S`.
    Class(char),
    BackReference(u32),
    /// `\b`, `\B`, `\A`, `\z`: passed through.
    Assertion(char),
    /// `\Q...\E`.
    Quoted(String),
}

/// Parses the escape whose first character (after the backslash) is at `i`.
fn escape(chars: &[char], i: usize) -> Result<(Escape, usize), String> {
    let Some(&c) = chars.get(i) else {
        return Err("pattern ends with a backslash".into());
    };
    let simple = |ch: char| Ok((Escape::Char(ch), i + 1));
    match c {
        'd' | 'D' | 'w' | 'W' | 's' | 'S' => Ok((Escape::Class(c), i + 1)),
        '1'..='9' => Ok((Escape::BackReference(c.to_digit(10).unwrap_or(1)), i + 1)),
        'b' | 'B' | 'A' | 'z' => Ok((Escape::Assertion(c), i + 1)),
        't' => simple('\t'),
        'n' => simple('\n'),
        'r' => simple('\r'),
        'f' => simple('\x0C'),
        'a' => simple('\x07'),
        'e' => simple('\x1B'),
        'u' => {
            let ch = hex_char(chars, i + 1, 4)?;
            Ok((Escape::Char(ch), i + 5))
        }
        'x' if chars.get(i + 1) == Some(&'{') => {
            let end = (i + 2..chars.len())
                .find(|&j| chars[j] == '}')
                .ok_or("unterminated \\x{...} escape")?;
            let ch = hex_char(chars, i + 2, end - i - 2)?;
            Ok((Escape::Char(ch), end + 1))
        }
        'x' => Ok((Escape::Char(hex_char(chars, i + 1, 2)?), i + 3)),
        'Q' => {
            let rest: String = chars[i + 1..].iter().collect();
            let (quoted, consumed) = match rest.find("\\E") {
                Some(pos) => (rest[..pos].to_owned(), rest[..pos].chars().count() + 2),
                None => (rest.clone(), rest.chars().count()),
            };
            Ok((Escape::Quoted(quoted), i + 1 + consumed))
        }
        c if c.is_ascii_alphanumeric() => Err(format!("unsupported escape \\{c}")),
        c => simple(c),
    }
}

fn hex_char(chars: &[char], start: usize, len: usize) -> Result<char, String> {
    let digits: String = chars
        .get(start..start + len)
        .ok_or("short hex escape")?
        .iter()
        .collect();
    if len == 0 || !digits.chars().all(|d| d.is_ascii_hexdigit()) {
        return Err(format!("bad hex escape {digits:?}"));
    }
    u32::from_str_radix(&digits, 16)
        .ok()
        .and_then(char::from_u32)
        .ok_or_else(|| format!("hex escape {digits:?} is not a character"))
}

/// Class items (without brackets) for `\d \D \w \W \s \S`.
fn class_items(class: char) -> &'static str {
    match class {
        'd' => DIGIT_ITEMS,
        'D' => "[:^digit:]",
        'w' => WORD_ITEMS,
        'W' => "[:^word:]",
        's' => SPACE_ITEMS,
        // Rust's ASCII `[:space:]` is exactly Java's `\s` set.
        _ => "[:^space:]",
    }
}

/// One member of a bracketed class.
enum ClassItem {
    Char(char),
    Set(char),
}

/// Translates the class opening at `start`; returns the index after its closing bracket.
fn class(chars: &[char], start: usize, out: &mut String) -> Result<usize, String> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated character class".into());
        };
        if c == ']' && !first {
            out.push(']');
            return Ok(i + 1);
        }
        first = false;
        if c == '[' {
            return Err("nested character classes are not supported".into());
        }
        if c == '&' && chars.get(i + 1) == Some(&'&') {
            return Err("class intersections are not supported".into());
        }
        let (item, next) = class_item(chars, i)?;
        i = next;
        match item {
            ClassItem::Set(s) => out.push_str(class_items(s)),
            ClassItem::Char(low) => {
                let is_range = chars.get(i) == Some(&'-')
                    && !matches!(chars.get(i + 1), None | Some(']') | Some('['));
                if is_range {
                    let (end, next) = class_item(chars, i + 1)?;
                    i = next;
                    let ClassItem::Char(high) = end else {
                        return Err("a class range cannot end with a character set".into());
                    };
                    if high < low {
                        return Err("illegal character range".into());
                    }
                    push_hex(out, low);
                    out.push('-');
                    push_hex(out, high);
                } else {
                    push_hex(out, low);
                }
            }
        }
    }
}

fn class_item(chars: &[char], i: usize) -> Result<(ClassItem, usize), String> {
    if chars[i] != '\\' {
        return Ok((ClassItem::Char(chars[i]), i + 1));
    }
    match escape(chars, i + 1)? {
        (Escape::Char(c), next) => Ok((ClassItem::Char(c), next)),
        (Escape::Class(s), next) => Ok((ClassItem::Set(s), next)),
        _ => Err("unsupported escape inside a character class".into()),
    }
}

fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() {
        out.push(c);
    } else {
        push_hex(out, c);
    }
}

fn push_hex(out: &mut String, c: char) {
    let _ = write!(out, "\\x{{{:X}}}", u32::from(c));
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn matches(pattern: &str, text: &str) -> bool {
        Pattern::compile(pattern).unwrap().is_full_match(text)
    }

    #[test]
    fn class_range_between_punctuation() {
        let p = r"^[a-zA-Z+-=._:/]+$";
        for ok in ["a", "a;b", "0", "<=", "a.b/c:d", "+,-"] {
            assert!(matches(p, ok), "{ok}");
        }
        for bad in ["a b", "", "@", "a?", ">", "é"] {
            assert!(!matches(p, bad), "{bad}");
        }
    }

    #[test]
    fn java_shorthands_are_ascii() {
        let p = r"[\s\w+-=\.:/@]*";
        assert!(matches(p, ""));
        assert!(matches(p, "a b\t_9@x.y"));
        assert!(!matches(p, "é"));
        assert!(!matches(p, "\u{a0}"));
        assert!(matches(r"\d+", "123"));
        assert!(!matches(r"\d+", "١٢٣"));
    }

    #[test]
    fn full_match_even_without_anchors() {
        let guid = "[a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}";
        assert!(matches(guid, "0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11"));
        assert!(!matches(guid, "x0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11"));
        assert!(!matches(guid, "0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11\n"));
        assert!(!matches("^arn:.*", "arn:x\ny"));
        assert!(matches("^arn:.*", "arn:aws:chime:us-east-1:1:meeting/x"));
    }

    #[test]
    fn look_ahead_and_back_reference() {
        let p = r"^(?!.*?(.)\1{3})[-_!@#$a-zA-Z0-9]*$";
        assert!(!matches(p, "aaaa"));
        assert!(!matches(p, "xaaaay"));
        assert!(matches(p, "aaa"));
        assert!(matches(p, "abab"));
        assert!(matches(p, "a-b_c!d@e#f$"));
        assert!(!matches(p, "a b"));
    }

    #[test]
    fn dash_placement_and_escapes() {
        assert!(matches(r"[a-zA-Z-,]+", "a-,Z"));
        assert!(matches(r"[a-zA-Z0-9,-._]+", "a,-._"));
        assert!(!matches(r"[a-zA-Z0-9,-._]+", "a/"));
        assert!(matches(r"[a-z0-9-\.]{1,3}", "a-."));
        assert!(matches(
            r"[A-Za-z0-9]([A-Za-z0-9\:\-\_\.\@]{0,62}[A-Za-z0-9])?",
            "a:b"
        ));
        assert!(matches(r"^\+?[1-9]\d{1,14}$", "+15551234567"));
        assert!(matches(r"(\$LATEST|[a-z]+)", "$LATEST"));
        assert!(matches(r"^$|^[0-9]{3,3}$", ""));
        assert!(matches(r"[^/].{0,3}", "a/b"));
        assert!(!matches(r"[^/].{0,3}", "/ab"));
        assert!(matches(r"\Q+.*\E", "+.*"));
    }

    #[test]
    fn java_unicode_escape_takes_four_digits() {
        // Java reads `\u10000` as U+1000 followed by '0'.
        let p =
            r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]*";
        assert!(matches(p, "plain text\t"));
        assert!(!matches(p, "\u{1}"));
    }

    #[test]
    fn rejects_unsupported_syntax() {
        assert!(Pattern::compile(r"[a&&b]").is_err());
        assert!(Pattern::compile(r"\p{Alpha}").is_err());
        assert!(Pattern::compile(r"[abc").is_err());
    }
}
