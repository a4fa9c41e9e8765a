//! Module SQL as tokens of `sqlparser`'s tokenizer, with the byte position of each token in the
//! original text. From the tokens come: the lexical checks (forms that SQLite or PostgreSQL
//! would read differently from the parser, which would let a module smuggle SQL past the
//! guard), the parameter scan and the `$n` → `?n` rewrite for SQLite, and the split of a script
//! into statements. Working on tokens keeps `$1` or `;` inside strings and comments untouched.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token, TokenWithLocation, Tokenizer, Whitespace};

use super::{dialect_for, Backend, SqlGuardError};

/// Highest parameter number accepted: SQLite's default limit of host parameters
/// (PostgreSQL allows more, but module SQL must run on both).
const MAX_PARAMETER: usize = 32_766;

/// Most operators (and operator keywords) one statement may hold. A chain of operators
/// (`a OR b OR c …`, `x + y + z …`) becomes an expression tree as deep as the chain is long,
/// which is walked and dropped recursively; bounding the operators before parsing bounds
/// that depth. Real module statements stay far below this.
const MAX_OPERATORS: usize = 1_000;

/// Keywords that chain expressions or queries like an operator does.
const OPERATOR_WORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "IS",
    "IN",
    "LIKE",
    "ILIKE",
    "GLOB",
    "REGEXP",
    "MATCH",
    "BETWEEN",
    "COLLATE",
    "ESCAPE",
    "SIMILAR",
    "OVERLAPS",
    "AT",
    "DIV",
    "XOR",
    "UNION",
    "INTERSECT",
    "EXCEPT",
    "MINUS",
];

/// Words after the first one that still name the statement (not sqlparser keywords in 0.52).
const EXTRA_STATEMENT_WORDS: &[&str] = &[
    "AGGREGATE",
    "DOMAIN",
    "SERVER",
    "PUBLICATION",
    "SUBSCRIPTION",
];

/// Words that end a statement label (`DROP TABLE IF EXISTS x` → `DROP TABLE`).
const LABEL_STOP_WORDS: &[&str] = &["IF", "ON", "INTO", "FROM", "TO", "AS", "EXISTS", "NOT"];

/// The text and its tokens.
pub(super) struct Lexed<'a> {
    text: &'a str,
    tokens: Vec<Lexeme>,
}

/// One token and where it is in the text.
struct Lexeme {
    token: Token,
    location: Location,
    /// Byte offset of the token's first character.
    start: usize,
    /// Byte offset just past the token (the next token's start).
    end: usize,
}

/// One statement: token indexes of its first and last non-whitespace token (inclusive), the
/// closing `;` excluded.
#[derive(Debug, Clone, Copy)]
pub(super) struct StatementSpan {
    first: usize,
    last: usize,
}

/// A `$n` parameter: the index of its token and its number.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parameter {
    pub(super) token: usize,
    pub(super) number: usize,
}

impl<'a> Lexed<'a> {
    /// Tokenizes `text` in the backend's dialect and runs the lexical checks.
    pub(super) fn new(text: &'a str, backend: Backend) -> Result<Lexed<'a>, SqlGuardError> {
        if let Some(offset) = text.find('\0') {
            let (line, column) = line_column_of(text, offset);
            // Both engines take the statement as a C string and would stop reading there.
            return Err(SqlGuardError::Lexical {
                what: "a NUL character".to_string(),
                line,
                column,
                reason: "the database would stop reading the statement there; pass binary \
                         data as a parameter"
                    .to_string(),
            });
        }
        let dialect = dialect_for(backend);
        let with_locations = Tokenizer::new(dialect.as_ref(), text)
            .tokenize_with_location()
            .map_err(|err| SqlGuardError::Parse {
                backend: backend.name(),
                message: err.to_string(),
            })?;
        let lexed = Lexed {
            text,
            tokens: attach_offsets(text, with_locations),
        };
        for index in 0..lexed.tokens.len() {
            lexed.check_lexeme(index, backend)?;
        }
        Ok(lexed)
    }

    /// Refuses token forms the engine would read differently from `sqlparser` 0.52.
    fn check_lexeme(&self, index: usize, backend: Backend) -> Result<(), SqlGuardError> {
        let lexeme = &self.tokens[index];
        let refuse = |what: String, reason: &str| {
            Err(SqlGuardError::Lexical {
                what,
                line: lexeme.location.line,
                column: lexeme.location.column,
                reason: reason.to_string(),
            })
        };
        match &lexeme.token {
            Token::Whitespace(Whitespace::MultiLineComment(body)) if body.contains("/*") => refuse(
                "a nested `/*` comment".to_string(),
                "the parser nests block comments but SQLite ends a comment at the first `*/`; \
                 close each comment before opening another",
            ),
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => {
                let body = comment.strip_suffix('\n').unwrap_or(comment);
                let body = body.strip_suffix('\r').unwrap_or(body);
                if body.contains('\r') {
                    refuse(
                        "a carriage return inside a `--` comment".to_string(),
                        "PostgreSQL ends the comment there but the parser does not; end \
                         comment lines with a line feed",
                    )
                } else {
                    Ok(())
                }
            }
            Token::Whitespace(_) => {
                let raw = &self.text[lexeme.start..lexeme.end];
                match raw.chars().find(|c| !c.is_ascii()) {
                    Some(c) => refuse(
                        format!("the whitespace character U+{:04X}", u32::from(c)),
                        "the engines read non-ASCII characters as parts of names; use plain \
                         spaces, tabs and line breaks",
                    ),
                    None => Ok(()),
                }
            }
            Token::DollarQuotedString(_) if backend == Backend::Sqlite => refuse(
                "a dollar-quoted string".to_string(),
                "SQLite has no dollar quoting and would read it as SQL; use a '…' string",
            ),
            Token::DollarQuotedString(quoted) => match &quoted.tag {
                Some(tag) if !is_plain_identifier(tag) => refuse(
                    format!("the dollar-quote tag `${tag}$`"),
                    "PostgreSQL reads `$` followed by digits as a parameter; use `$$` or a \
                     tag made of ASCII letters, digits and `_` that starts with a letter",
                ),
                // The parser's search for the closing `$tag$` skips a `$` that starts it
                // right after another `$` (`$t$ a $$t$`), where PostgreSQL ends the string.
                Some(tag) if quoted.value.contains('$') => refuse(
                    format!("a `$` inside the dollar-quoted string `${tag}$…${tag}$`"),
                    "the parser and PostgreSQL could disagree on where it ends; use `$$…$$` \
                     or a '…' string",
                ),
                _ => Ok(()),
            },
            Token::EscapedStringLiteral(_) if backend == Backend::Sqlite => refuse(
                "an E'…' string".to_string(),
                "SQLite has no escape strings and would end it at the first `'`; use a '…' \
                 string",
            ),
            Token::EscapedStringLiteral(_) => match unsure_escape(self.raw(index)) {
                Some(escape) => refuse(
                    format!("the escape `{escape}` in an E'…' string"),
                    "only the escapes \\\\ \\' \\n \\r \\t \\b \\f are accepted in E'…' \
                     strings (octal, hex and Unicode escapes are not); pass other values as \
                     parameters",
                ),
                None => Ok(()),
            },
            // With `standard_conforming_strings` off, PostgreSQL reads `\'` inside a '…' string
            // as an escaped quote and the string goes on where the parser ends it.
            Token::SingleQuotedString(_)
                if backend == Backend::Postgres && self.raw(index).contains("\\'") =>
            {
                refuse(
                    "a backslash right before a quote in a '…' string".to_string(),
                    "PostgreSQL may read `\\'` as an escaped quote (when \
                     standard_conforming_strings is off) and end the string elsewhere; pass \
                     the value as a parameter",
                )
            }
            Token::UnicodeStringLiteral(_) => refuse(
                format!("the Unicode-escape string `{}`", self.raw(index)),
                "U&'…' and U&\"…\" spellings (and UESCAPE) are not accepted: PostgreSQL decodes \
                 their escapes, so the guard cannot tell what they name; write the plain \
                 text",
            ),
            Token::HexStringLiteral(digits) if digits.chars().all(|c| c.is_ascii_hexdigit()) => {
                Ok(())
            }
            Token::HexStringLiteral(_) => refuse(
                "an X'…' literal with non-hex characters".to_string(),
                "the parser and the engines disagree on where it ends; write only hex digits \
                 between the quotes",
            ),
            Token::NationalStringLiteral(_) => refuse(
                "an N'…' string".to_string(),
                "the parser reads backslash escapes in it that the engines do not; use a '…' \
                 string",
            ),
            Token::DoubleQuotedString(_)
            | Token::TripleSingleQuotedString(_)
            | Token::TripleDoubleQuotedString(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::TripleSingleQuotedByteStringLiteral(_)
            | Token::TripleDoubleQuotedByteStringLiteral(_)
            | Token::SingleQuotedRawStringLiteral(_)
            | Token::DoubleQuotedRawStringLiteral(_)
            | Token::TripleSingleQuotedRawStringLiteral(_)
            | Token::TripleDoubleQuotedRawStringLiteral(_) => refuse(
                format!("the literal `{}`", self.raw(index)),
                "only '…' strings (and E'…' or $$…$$ on PostgreSQL, X'…' blobs) are accepted",
            ),
            Token::Word(word) if word.quote_style == Some('[') && word.value.contains(']') => {
                refuse(
                    format!("the bracketed name `[{}]`", word.value),
                    "SQLite does not read `]]` as an escaped `]`; rename the identifier",
                )
            }
            Token::Word(word)
                if word.quote_style.is_none() && word.value.eq_ignore_ascii_case("uescape") =>
            {
                refuse(
                    "`UESCAPE`".to_string(),
                    "Unicode-escape spellings are not accepted: PostgreSQL decodes them, so \
                     the guard cannot tell what they name; write the plain text",
                )
            }
            Token::Word(word)
                if word.quote_style.is_none()
                    && word.value.eq_ignore_ascii_case("u")
                    && self.next_significant_raw(index).starts_with('&') =>
            {
                refuse(
                    format!("`{}&`", word.value),
                    "U&\"…\" and U&'…' are Unicode-escape spellings that PostgreSQL decodes \
                     (`U&\"pg\\005fread\\005ffile\"` is `pg_read_file`), so the guard cannot tell \
                     what they name; write the plain name or text (and do not name a column \
                     `u` next to `&`)",
                )
            }
            // SQLite reads `#name…` as a parameter whose name may run on over `(…)`.
            _ if backend == Backend::Sqlite && self.raw(index).starts_with('#') => refuse(
                format!("`{}`", self.raw(index)),
                "SQLite reads `#` followed by a name as a parameter; it has no `#` operator",
            ),
            // PostgreSQL ends an operator where `--` or `/*` starts a comment; the parser reads
            // them as part of the operator, so it would see as SQL what PostgreSQL skips (and
            // a string opened inside that comment would hide real SQL from the parser).
            Token::CustomBinaryOperator(op) if op.contains("--") || op.contains("/*") => refuse(
                format!("the operator `{op}`"),
                "PostgreSQL starts a comment at `--` or `/*` inside an operator; put a space \
                 between the operator and the comment",
            ),
            Token::Char(c) => refuse(
                format!("the character `{c}`"),
                "it is not part of the SQL the guard understands",
            ),
            _ => Ok(()),
        }
    }

    /// The statements of the text, in order; empty ones (`;;`, comment only) are skipped.
    pub(super) fn statement_spans(&self) -> Vec<StatementSpan> {
        let mut spans = Vec::new();
        let mut current: Option<StatementSpan> = None;
        for (index, lexeme) in self.tokens.iter().enumerate() {
            match lexeme.token {
                Token::SemiColon => spans.extend(current.take()),
                Token::Whitespace(_) => {}
                _ => {
                    current = Some(match current {
                        Some(span) => StatementSpan {
                            first: span.first,
                            last: index,
                        },
                        None => StatementSpan {
                            first: index,
                            last: index,
                        },
                    })
                }
            }
        }
        spans.extend(current);
        spans
    }

    /// The tokens of a statement, for the parser.
    pub(super) fn tokens_of(&self, span: &StatementSpan) -> Vec<TokenWithLocation> {
        self.tokens[span.first..=span.last]
            .iter()
            .map(|lexeme| TokenWithLocation {
                token: lexeme.token.clone(),
                location: lexeme.location,
            })
            .collect()
    }

    /// The leading words that name the statement, upper-case (`CREATE TRIGGER`, `PRAGMA`).
    pub(super) fn leading_words(&self, span: &StatementSpan) -> Vec<String> {
        let mut words = Vec::new();
        let significant = self.tokens[span.first..=span.last]
            .iter()
            .filter(|lexeme| !matches!(lexeme.token, Token::Whitespace(_)));
        for lexeme in significant {
            let Token::Word(word) = &lexeme.token else {
                break;
            };
            if word.quote_style.is_some() {
                break;
            }
            let upper = word.value.to_ascii_uppercase();
            if !words.is_empty() {
                let names_statement = word.keyword != Keyword::NoKeyword
                    || EXTRA_STATEMENT_WORDS.contains(&upper.as_str());
                if !names_statement || LABEL_STOP_WORDS.contains(&upper.as_str()) {
                    break;
                }
            }
            words.push(upper);
            if words.len() == 4 {
                break;
            }
        }
        words
    }

    /// The statement's name for messages, e.g. `CREATE TRIGGER`.
    pub(super) fn label(&self, span: &StatementSpan) -> String {
        let words = self.leading_words(span);
        if words.is_empty() {
            "this statement".to_string()
        } else {
            words.join(" ")
        }
    }

    /// The `$n` parameters of a statement; refuses every other placeholder form.
    pub(super) fn parameters(
        &self,
        span: &StatementSpan,
        backend: Backend,
    ) -> Result<Vec<Parameter>, SqlGuardError> {
        let mut parameters = Vec::new();
        for index in span.first..=span.last {
            let lexeme = &self.tokens[index];
            let placeholder = match &lexeme.token {
                Token::Placeholder(placeholder) => placeholder.clone(),
                // SQLite has no `:` or `@` operator: the parser joins them with the next word
                // into a named parameter (`:id`, `@id`), which SQLite would bind as well.
                Token::Colon | Token::AtSign if backend == Backend::Sqlite => {
                    let next = self.tokens.get(index + 1).filter(|next| {
                        index < span.last
                            && matches!(next.token, Token::Word(_) | Token::Number(..))
                    });
                    format!(
                        "{}{}",
                        self.raw(index),
                        next.map_or("", |_| self.raw(index + 1))
                    )
                }
                _ => continue,
            };
            let refuse = |reason: String| SqlGuardError::Placeholder {
                placeholder: placeholder.clone(),
                line: lexeme.location.line,
                column: lexeme.location.column,
                reason,
            };
            let digits = placeholder.strip_prefix('$').unwrap_or("");
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(refuse(if placeholder.starts_with('?') {
                    question_mark_reason()
                } else {
                    named_parameter_reason()
                }));
            }
            match digits.parse::<usize>() {
                Ok(0) => return Err(refuse("parameters are numbered from $1".to_string())),
                Ok(number) if number <= MAX_PARAMETER => parameters.push(Parameter {
                    token: index,
                    number,
                }),
                _ => {
                    return Err(refuse(format!(
                        "at most {MAX_PARAMETER} parameters are supported"
                    )))
                }
            }
        }
        Ok(parameters)
    }

    /// Refuses a statement with more than [`MAX_OPERATORS`] operators.
    pub(super) fn check_complexity(&self, span: &StatementSpan) -> Result<(), SqlGuardError> {
        let operators = self.tokens[span.first..=span.last]
            .iter()
            .filter(|lexeme| match &lexeme.token {
                Token::Word(word) => {
                    word.quote_style.is_none()
                        && OPERATOR_WORDS.contains(&word.value.to_ascii_uppercase().as_str())
                }
                Token::Whitespace(_)
                | Token::Number(..)
                | Token::SingleQuotedString(_)
                | Token::DollarQuotedString(_)
                | Token::EscapedStringLiteral(_)
                | Token::HexStringLiteral(_)
                | Token::Placeholder(_)
                | Token::Comma
                | Token::Period
                | Token::LParen
                | Token::RParen
                | Token::SemiColon => false,
                _ => true,
            })
            .count();
        if operators > MAX_OPERATORS {
            Err(SqlGuardError::TooComplex {
                limit: MAX_OPERATORS,
                what: "operators",
            })
        } else {
            Ok(())
        }
    }

    /// On PostgreSQL `?` is an operator token; when a statement fails to parse, a `?` in it is
    /// almost surely a placeholder in the wrong style.
    pub(super) fn question_mark(&self, span: &StatementSpan) -> Option<SqlGuardError> {
        self.tokens[span.first..=span.last]
            .iter()
            .find(|lexeme| lexeme.token == Token::Question)
            .map(|lexeme| SqlGuardError::Placeholder {
                placeholder: "?".to_string(),
                line: lexeme.location.line,
                column: lexeme.location.column,
                reason: question_mark_reason(),
            })
    }

    /// Line and column (from 1) of a token.
    pub(super) fn location(&self, token: usize) -> (u64, u64) {
        let location = self.tokens[token].location;
        (location.line, location.column)
    }

    /// Line on which a statement starts.
    pub(super) fn start_line(&self, span: &StatementSpan) -> u64 {
        self.tokens[span.first].location.line
    }

    /// The statement's original text, from its first to its last token; for SQLite each `$n`
    /// parameter token becomes `?n` (same length, same number, so binding by index keeps its
    /// meaning whatever order the parameters appear in).
    pub(super) fn statement_text(
        &self,
        span: &StatementSpan,
        parameters: &[Parameter],
        backend: Backend,
    ) -> String {
        let start = self.tokens[span.first].start;
        let end = self.tokens[span.last].end;
        let mut text = self.text[start..end].to_string();
        if backend == Backend::Sqlite {
            for parameter in parameters {
                let at = self.tokens[parameter.token].start - start;
                text.replace_range(at..at + 1, "?");
            }
        }
        text
    }

    /// The raw text of the next token after `index` that is not whitespace or a comment, or
    /// `""` at the end.
    fn next_significant_raw(&self, index: usize) -> &str {
        (index + 1..self.tokens.len())
            .find(|&next| !matches!(self.tokens[next].token, Token::Whitespace(_)))
            .map_or("", |next| self.raw(next))
    }

    /// The raw text of a token.
    fn raw(&self, index: usize) -> &str {
        let lexeme = &self.tokens[index];
        &self.text[lexeme.start..lexeme.end]
    }
}

/// The highest parameter number, after checking that `$1..$n` are all used.
pub(super) fn param_count(parameters: &[Parameter]) -> Result<usize, SqlGuardError> {
    let highest = parameters.iter().map(|p| p.number).max().unwrap_or(0);
    let mut used = vec![false; highest + 1];
    for parameter in parameters {
        used[parameter.number] = true;
    }
    match (1..=highest).find(|&n| !used[n]) {
        Some(missing) => Err(SqlGuardError::ParameterGap { missing, highest }),
        None => Ok(highest),
    }
}

/// Why `:name`, `@name` and `$name` are refused.
pub(super) fn named_parameter_reason() -> String {
    "named parameters are not supported: number the parameters $1, $2, … and pass the values \
     in that order"
        .to_string()
}

fn question_mark_reason() -> String {
    "`?` placeholders are not accepted: number the parameters $1, $2, … for both backends \
     (the host rewrites them for SQLite)"
        .to_string()
}

/// The first backslash escape of a raw `E'…'` literal that is not one of the simple ones both
/// the parser and PostgreSQL read as one character (`\\`, `\'`, `\n`, `\r`, `\t`, `\b`,
/// `\f`). Octal, hex and Unicode escapes are left out: their lengths and values are where the
/// parser and PostgreSQL could disagree.
fn unsure_escape(raw: &str) -> Option<String> {
    let body = raw.get(2..).unwrap_or("");
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\\' | '\'' | 'n' | 'r' | 't' | 'b' | 'f') => {}
                Some(other) => return Some(format!("\\{other}")),
                None => return Some("\\".to_string()),
            }
        }
    }
    None
}

/// `[A-Za-z_][A-Za-z0-9_]*`
fn is_plain_identifier(tag: &str) -> bool {
    let mut chars = tag.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Adds byte offsets to the tokenizer's line/column locations. The tokenizer counts columns
/// in characters and starts a new line after each `\n`; walking the text once the same way
/// turns each location into a byte offset in linear time.
fn attach_offsets(text: &str, tokens: Vec<TokenWithLocation>) -> Vec<Lexeme> {
    let mut chars = text.char_indices().peekable();
    let (mut line, mut column) = (1u64, 1u64);
    let mut starts = Vec::with_capacity(tokens.len());
    for token in &tokens {
        let target = (token.location.line, token.location.column);
        while (line, column) < target {
            match chars.next() {
                Some((_, '\n')) => {
                    line += 1;
                    column = 1;
                }
                Some(_) => column += 1,
                None => break,
            }
        }
        starts.push(chars.peek().map_or(text.len(), |&(offset, _)| offset));
    }
    let mut lexemes: Vec<Lexeme> = tokens
        .into_iter()
        .zip(&starts)
        .map(|(token, &start)| Lexeme {
            token: token.token,
            location: token.location,
            start,
            end: text.len(),
        })
        .collect();
    for index in 1..lexemes.len() {
        lexemes[index - 1].end = lexemes[index].start;
    }
    lexemes
}

/// Line and column (from 1, columns in characters) of a byte offset.
fn line_column_of(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() as u64 + 1)
}
