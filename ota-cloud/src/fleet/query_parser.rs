//! Recursive-descent parser for [`super::Query`]; the grammar is documented there.
//!
//! It reads the text once, left to right, and fails at the first problem with its byte
//! position. Recursion depth is capped at [`MAX_QUERY_DEPTH`].

use super::FleetError;
use super::attributes::MAX_ATTRIBUTE_KEY_LEN;
use super::query::{Field, MAX_QUERY_DEPTH, MAX_QUERY_TERMS, Node, Pattern, Term};

const ATTRIBUTES: &str = "attributes.";

pub(super) struct Parser<'q> {
    src: &'q str,
    pos: usize,
    depth: usize,
    terms: usize,
}

fn fail<T>(position: usize, reason: &'static str) -> Result<T, FleetError> {
    Err(FleetError::InvalidQuery { position, reason })
}

/// Characters that end a word (and may follow any value).
fn ends_word(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')'
}

/// A single operand stands alone; several are joined by `join`.
fn collapse(mut nodes: Vec<Node>, join: fn(Vec<Node>) -> Node) -> Node {
    match nodes.pop() {
        Some(only) if nodes.is_empty() => only,
        Some(last) => {
            nodes.push(last);
            join(nodes)
        }
        None => join(nodes),
    }
}

fn key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.,@/#-".contains(&b)
}

impl<'q> Parser<'q> {
    pub(super) fn new(src: &'q str) -> Self {
        Self {
            src,
            pos: 0,
            depth: 0,
            terms: 0,
        }
    }

    /// Parse the whole text.
    pub(super) fn parse(mut self) -> Result<Node, FleetError> {
        self.skip_ws();
        if self.peek().is_none() {
            return fail(0, "empty query");
        }
        let node = self.or()?;
        match self.peek() {
            None => Ok(node),
            Some(')') => fail(self.pos, "`)` without `(`"),
            Some(_) => fail(self.pos, "expected AND, OR or the end of the query"),
        }
    }

    fn rest(&self) -> &'q str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// True (and consumed) if the text here is the keyword `kw` followed by a word end.
    fn keyword(&mut self, kw: &str) -> bool {
        let Some(after) = self.rest().strip_prefix(kw) else {
            return false;
        };
        if after.chars().next().is_none_or(ends_word) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// After a value: whitespace, a parenthesis or the end must follow.
    fn end_of_value(&self) -> Result<(), FleetError> {
        match self.peek() {
            Some(c) if !ends_word(c) => fail(self.pos, "expected whitespace or `)` after a value"),
            _ => Ok(()),
        }
    }

    fn or(&mut self) -> Result<Node, FleetError> {
        let mut nodes = vec![self.and()?];
        loop {
            self.skip_ws();
            if !self.keyword("OR") {
                break;
            }
            nodes.push(self.and()?);
        }
        Ok(collapse(nodes, Node::Or))
    }

    fn and(&mut self) -> Result<Node, FleetError> {
        let mut nodes = vec![self.unary()?];
        loop {
            self.skip_ws();
            let save = self.pos;
            if self.peek().is_none_or(|c| c == ')') || self.keyword("OR") {
                self.pos = save;
                break;
            }
            self.keyword("AND");
            nodes.push(self.unary()?);
        }
        Ok(collapse(nodes, Node::And))
    }

    fn unary(&mut self) -> Result<Node, FleetError> {
        self.skip_ws();
        if self.depth >= MAX_QUERY_DEPTH {
            return fail(self.pos, "nested too deeply");
        }
        self.depth += 1;
        let node = self.unary_inner();
        self.depth -= 1;
        node
    }

    fn unary_inner(&mut self) -> Result<Node, FleetError> {
        let start = self.pos;
        if self.peek() == Some('-') || self.keyword("NOT") {
            if self.pos == start {
                self.bump();
            }
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        match self.peek() {
            None => fail(start, "expected a term"),
            Some('(') => {
                self.bump();
                let node = self.or()?;
                if self.bump() != Some(')') {
                    return fail(start, "`(` without `)`");
                }
                Ok(node)
            }
            Some(_) if self.keyword("AND") || self.keyword("OR") => {
                fail(start, "expected a term before the operator")
            }
            Some(_) => self.term().map(Node::Term),
        }
    }

    fn term(&mut self) -> Result<Term, FleetError> {
        let start = self.pos;
        let field_len = self
            .rest()
            .find(|c: char| c == ':' || c == '"' || ends_word(c))
            .unwrap_or(self.rest().len());
        if !self.rest()[field_len..].starts_with(':') {
            let reason = if field_len == 0 {
                "expected a term"
            } else {
                "expected `thingName:` or `attributes.<key>:`"
            };
            return fail(start, reason);
        }
        let field = self.field(&self.rest()[..field_len])?;
        self.terms += 1;
        if self.terms > MAX_QUERY_TERMS {
            return fail(start, "more than 12 terms");
        }
        self.pos += field_len + 1;
        let pattern = self.value()?;
        self.end_of_value()?;
        Ok(Term { field, pattern })
    }

    fn field(&self, name: &str) -> Result<Field, FleetError> {
        if name == "thingName" {
            return Ok(Field::ThingName);
        }
        let Some(key) = name.strip_prefix(ATTRIBUTES) else {
            return fail(
                self.pos,
                "unknown field: expected `thingName` or `attributes.<key>`",
            );
        };
        let key_pos = self.pos + ATTRIBUTES.len();
        if key.is_empty() {
            return fail(key_pos, "empty attribute key");
        }
        if let Some(bad) = key.bytes().position(|b| !key_char(b)) {
            return fail(key_pos + bad, "character not allowed in an attribute key");
        }
        if key.len() > MAX_ATTRIBUTE_KEY_LEN {
            return fail(key_pos, "attribute key longer than 128 bytes");
        }
        Ok(Field::Attribute(key.into()))
    }

    fn value(&mut self) -> Result<Pattern, FleetError> {
        let start = self.pos;
        match self.peek() {
            None => fail(start, "missing value"),
            Some(c) if c.is_whitespace() || c == ')' => fail(start, "missing value"),
            Some('(') => fail(start, "field grouping is not supported"),
            Some('{') => fail(start, "exclusive ranges are not supported"),
            Some('[') => self.range(),
            Some('"') => self.quoted(),
            Some('*') => {
                self.bump();
                match self.peek() {
                    Some(c) if !ends_word(c) => fail(start, "leading wildcards are not supported"),
                    _ => Ok(Pattern::Any),
                }
            }
            Some(_) => self.word(),
        }
    }

    /// A bare value, up to whitespace or a parenthesis.
    fn word(&mut self) -> Result<Pattern, FleetError> {
        let mut text = String::new();
        while let Some(c) = self.peek().filter(|&c| !ends_word(c)) {
            let at = self.pos;
            self.bump();
            match c {
                '\\' => text.push(self.escaped(at)?),
                '"' => return fail(at, "unexpected `\"` inside a value"),
                '*' => {
                    self.end_of_value()
                        .or_else(|_| fail(at, "wildcards are only allowed at the end"))?;
                    return Ok(Pattern::Prefix(text.into()));
                }
                '?' => return fail(at, "single-character wildcards are not supported"),
                _ => text.push(c),
            }
        }
        Ok(Pattern::Exact(text.into()))
    }

    /// The character after a `\` at `at`.
    fn escaped(&mut self, at: usize) -> Result<char, FleetError> {
        match self.bump() {
            Some(c) => Ok(c),
            None => fail(at, "`\\` at the end of the query"),
        }
    }

    fn quoted(&mut self) -> Result<Pattern, FleetError> {
        let open = self.pos;
        self.bump();
        let mut text = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return fail(open, "unterminated quoted value"),
                Some('"') => break,
                Some('\\') => text.push(self.escaped(at)?),
                Some(c) => text.push(c),
            }
        }
        if text.is_empty() {
            return fail(open, "empty quoted value");
        }
        if self.peek() == Some('*') {
            self.bump();
            return Ok(Pattern::Prefix(text.into()));
        }
        Ok(Pattern::Exact(text.into()))
    }

    fn range(&mut self) -> Result<Pattern, FleetError> {
        let open = self.pos;
        self.bump();
        self.skip_ws();
        let lo = self.bound()?;
        self.skip_ws();
        let to = self.pos;
        if !self.keyword("TO") {
            return fail(to, "expected `TO` in a range");
        }
        self.skip_ws();
        let hi = self.bound()?;
        self.skip_ws();
        if self.peek() != Some(']') {
            return fail(self.pos, "expected `]` to close the range");
        }
        self.bump();
        if let (Some(lo), Some(hi)) = (lo, hi)
            && lo > hi
        {
            return fail(open, "range lower bound is above its upper bound");
        }
        Ok(Pattern::Range(lo, hi))
    }

    /// An integer or `*`, up to whitespace or `]`.
    fn bound(&mut self) -> Result<Option<i64>, FleetError> {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| c.is_whitespace() || c == ']')
            .unwrap_or(self.rest().len());
        let text = &self.rest()[..len];
        self.pos += len;
        match text {
            "" => fail(start, "missing range bound"),
            "*" => Ok(None),
            _ => text
                .parse()
                .map(Some)
                .or_else(|_| fail(start, "range bound is not a 64-bit integer")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Query;
    use super::*;
    use proptest::prelude::*;

    fn error(query: &str) -> (usize, &'static str) {
        match Query::parse(query) {
            Err(FleetError::InvalidQuery { position, reason }) => (position, reason),
            other => panic!("{query:?} gave {other:?}"),
        }
    }

    fn at(query: &str) -> usize {
        error(query).0
    }

    #[test]
    fn accepts() {
        for q in [
            "thingName:a",
            "  thingName:a  ",
            "thingName:a*",
            "thingName:*",
            "thingName:dev:1",
            "attributes.k.1:v AND attributes.k-2:w OR NOT thingName:x",
            "(thingName:a)",
            "((thingName:a OR thingName:b) AND -attributes.x:1)",
            "NOT(thingName:a)",
            "attributes.n:[1 TO 2]",
            "attributes.n:[ -3  TO  * ]",
            r#"attributes.k:"a \"b\" c""#,
            r#"attributes.k:"x"*"#,
            "attributes.k:a=b,[c]",
            "thingName:ANDROID OR thingName:ORANGE",
            "thingName:a\tAND\nthingName:b",
        ] {
            assert!(Query::parse(q).is_ok(), "{q:?}: {:?}", Query::parse(q));
        }
    }

    #[test]
    fn parses_into_the_expected_tree() {
        let q = Query::parse("thingName:a OR thingName:b c:d").map(|_| ());
        assert_eq!(
            q,
            Err(FleetError::InvalidQuery {
                position: 27,
                reason: "unknown field: expected `thingName` or `attributes.<key>`"
            })
        );
        let root = Parser::new("thingName:a OR attributes.k:b* NOT thingName:\"c\"")
            .parse()
            .unwrap();
        let term = |field, pattern| Node::Term(Term { field, pattern });
        assert_eq!(
            root,
            Node::Or(vec![
                term(Field::ThingName, Pattern::Exact("a".into())),
                Node::And(vec![
                    term(Field::Attribute("k".into()), Pattern::Prefix("b".into())),
                    Node::Not(Box::new(term(Field::ThingName, Pattern::Exact("c".into())))),
                ]),
            ])
        );
    }

    #[test]
    fn refuses_with_positions() {
        for (query, position, reason) in [
            ("", 0, "empty query"),
            ("   ", 0, "empty query"),
            ("thingName:", 10, "missing value"),
            (
                "attributes.n:[3 TO 2]",
                13,
                "range lower bound is above its upper bound",
            ),
            ("(thingName:a", 0, "`(` without `)`"),
            ("thingName:a)", 11, "`)` without `(`"),
        ] {
            assert_eq!(error(query), (position, reason), "{query:?}");
        }
        for (query, reason) in [
            ("thingName:*abc", "leading wildcards are not supported"),
            ("attributes.n:[1 2]", "expected `TO` in a range"),
        ] {
            assert_eq!(error(query).1, reason, "{query:?}");
        }
        for (query, position) in [
            ("thingName", 0),
            ("name:a", 0),
            ("thingName:a AND foo:b", 16),
            ("thingName: a", 10),
            ("attributes.:a", 11),
            ("attributes.a+b:c", 12),
            ("thingName:ab*c", 12),
            ("thingName:a?", 11),
            ("thingName:a\"b", 11),
            ("thingName:\"abc", 10),
            ("thingName:\"\"", 10),
            ("thingName:\"a\"b", 13),
            ("thingName:a\\", 11),
            ("thingName:(a OR b)", 10),
            ("attributes.n:{1 TO 2}", 13),
            ("attributes.n:[1 TO 2", 20),
            ("attributes.n:[a TO 2]", 14),
            ("attributes.n:[1 TO ]", 19),
            ("attributes.n:[99999999999999999999 TO *]", 14),
            ("()", 1),
            ("thingName:a AND", 15),
            ("thingName:a OR OR thingName:b", 15),
            ("AND thingName:a", 0),
            ("NOT", 3),
            ("thingName:a -", 13),
            ("attributes.n:[1 TO 2]thingName:a", 21),
        ] {
            assert_eq!(at(query), position, "{query:?}");
        }
    }

    #[test]
    fn limits() {
        let twelve = ["thingName:a"; 12].join(" OR ");
        assert!(Query::parse(&twelve).is_ok());
        let thirteen = format!("{twelve} OR thingName:b");
        assert_eq!(error(&thirteen), (twelve.len() + 4, "more than 12 terms"));
        let deep = format!("{}thingName:a{}", "(".repeat(15), ")".repeat(15));
        assert!(Query::parse(&deep).is_ok());
        let deeper = format!("{}thingName:a{}", "(".repeat(16), ")".repeat(16));
        assert_eq!(error(&deeper), (16, "nested too deeply"));
        let nots = "NOT ".repeat(100_000) + "thingName:a";
        assert_eq!(error(&nots).1, "nested too deeply");
        let long_key = format!("attributes.{}:v", "k".repeat(129));
        assert_eq!(at(&long_key), 11);
    }

    proptest! {
        #[test]
        fn never_panics_on_text(s in "\\PC{0,80}") {
            let _ = Query::parse(&s);
        }

        #[test]
        fn never_panics_on_query_like_text(
            parts in proptest::collection::vec(prop_oneof![
                Just("thingName:"), Just("attributes.k:"), Just("a"), Just("*"), Just("\""),
                Just("\\"), Just("("), Just(")"), Just("["), Just("]"), Just(" TO "), Just(" "),
                Just("AND"), Just("OR"), Just("NOT"), Just("-"), Just("7"), Just("é"), Just(":"),
            ], 0..40)
        ) {
            let s: String = parts.concat();
            if let Err(FleetError::InvalidQuery { position, .. }) = Query::parse(&s) {
                prop_assert!(position <= s.len());
            }
        }
    }
}
