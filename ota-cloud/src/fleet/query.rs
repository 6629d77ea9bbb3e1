//! Dynamic-group queries: a subset of the AWS IoT fleet-indexing query syntax.
//!
//! # Grammar
//!
//! ```text
//! query   = or
//! or      = and ("OR" and)*
//! and     = unary (["AND"] unary)*          juxtaposition means AND, as in AWS
//! unary   = ("NOT" | "-") unary | "(" or ")" | term
//! term    = field ":" value
//! field   = "thingName" | "attributes." key
//! value   = "*"                             the field is present
//!         | word ["*"]                      exact (or, with `*`, prefix) match
//!         | '"' chars '"' ["*"]             the same, quoted: may hold spaces, `(`, `)`, `*`
//!         | "[" bound "TO" bound "]"        inclusive integer range; a bound may be `*`
//! ```
//!
//! `AND` binds tighter than `OR`; keywords are upper case. A `\` makes the next character
//! literal in a word or a quoted value. Field names and keys are case-sensitive; values
//! match ignoring ASCII case, as AWS search does. A range matches a value that parses as
//! an `i64` within the bounds. `NOT attributes.k:v` matches things without `k`.
//!
//! Limits: at most [`MAX_QUERY_TERMS`] terms (AWS's limit) and [`MAX_QUERY_DEPTH`] levels of
//! parentheses and `NOT`, so hostile input cannot overflow the stack, here or in matching.
//!
//! Not supported (refused with a position): fields other than the two above (for example
//! `thingGroupNames`, `connectivity`, shadow fields), terms without a field, leading or
//! inner wildcards, `?`, field grouping (`thingName:(a OR b)`), exclusive ranges `{a TO b}`,
//! comparisons (`>`), keys containing `:` (the first `:` ends the field). A quoted value is
//! compared whole, not as a phrase of words.

use super::FleetError;
use super::query_parser::Parser;

/// Most terms in one query (AWS fleet indexing: 12).
pub const MAX_QUERY_TERMS: usize = 12;
/// Deepest nesting of parentheses and `NOT` in one query.
pub const MAX_QUERY_DEPTH: usize = 16;

/// A parsed dynamic-group query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    source: Box<str>,
    root: Node,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Node {
    Term(Term),
    Not(Box<Self>),
    And(Vec<Self>),
    Or(Vec<Self>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Term {
    pub(super) field: Field,
    pub(super) pattern: Pattern,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Field {
    ThingName,
    Attribute(Box<str>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Pattern {
    /// `*`: the field has a value.
    Any,
    Exact(Box<str>),
    Prefix(Box<str>),
    /// Inclusive bounds; `None` is open.
    Range(Option<i64>, Option<i64>),
}

impl Pattern {
    fn matches(&self, value: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(want) => value.eq_ignore_ascii_case(want),
            Self::Prefix(prefix) => value
                .as_bytes()
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes())),
            Self::Range(lo, hi) => value
                .parse::<i64>()
                .is_ok_and(|v| lo.is_none_or(|lo| lo <= v) && hi.is_none_or(|hi| v <= hi)),
        }
    }
}

impl Node {
    fn matches<'v>(&self, name: &str, attribute: &dyn Fn(&str) -> Option<&'v str>) -> bool {
        match self {
            Self::Term(term) => {
                let value = match &term.field {
                    Field::ThingName => Some(name),
                    Field::Attribute(key) => attribute(key),
                };
                value.is_some_and(|v| term.pattern.matches(v))
            }
            Self::Not(inner) => !inner.matches(name, attribute),
            Self::And(all) => all.iter().all(|n| n.matches(name, attribute)),
            Self::Or(any) => any.iter().any(|n| n.matches(name, attribute)),
        }
    }

    fn mentions(&self, key: &str) -> bool {
        match self {
            Self::Term(term) => matches!(&term.field, Field::Attribute(k) if &**k == key),
            Self::Not(inner) => inner.mentions(key),
            Self::And(nodes) | Self::Or(nodes) => nodes.iter().any(|n| n.mentions(key)),
        }
    }
}

impl Query {
    /// Parse a query once, for matching many times.
    ///
    /// # Errors
    /// [`FleetError::InvalidQuery`] with the byte position of the first problem and what it
    /// is. Never panics, whatever the input.
    pub fn parse(source: &str) -> Result<Self, FleetError> {
        let root = Parser::new(source).parse()?;
        Ok(Self {
            source: source.into(),
            root,
        })
    }

    /// The query text as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True if a thing with this name and these attributes (looked up by key) matches.
    pub fn matches<'v>(
        &self,
        thing_name: &str,
        attribute: impl Fn(&str) -> Option<&'v str>,
    ) -> bool {
        self.root.matches(thing_name, &attribute)
    }

    /// True if the query has a term on attribute `key`. A query that does not mention a key
    /// gives the same answer whatever that attribute's value.
    pub fn mentions(&self, key: &str) -> bool {
        self.root.mentions(key)
    }
}

impl core::fmt::Display for Query {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(query: &str, name: &str, attrs: &[(&str, &str)]) -> bool {
        let q = Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        q.matches(name, |k| {
            attrs.iter().find(|(a, _)| *a == k).map(|(_, v)| *v)
        })
    }

    const ATTRS: &[(&str, &str)] = &[("model", "ESP32-S3"), ("fw", "42"), ("region", "eu-west-1")];

    /// Assert that the thing `name` with `attrs` matches each query of `yes` and none of
    /// `no`.
    fn assert_matches(name: &str, attrs: &[(&str, &str)], yes: &[&str], no: &[&str]) {
        for query in yes {
            assert!(matches(query, name, attrs), "{query} should match {name}");
        }
        for query in no {
            assert!(
                !matches(query, name, attrs),
                "{query} should not match {name}"
            );
        }
    }

    #[test]
    fn terms() {
        // Values ignore case.
        let dev_1 = ["thingName:dev-1", "thingName:DEV-1", "thingName:dev*"];
        assert_matches("dev-1", ATTRS, &dev_1, &["thingName:dev"]);
        assert_matches("x", &[], &["thingName:*"], &[]);
        assert_matches(
            "x",
            ATTRS,
            &[
                "attributes.model:esp32*",
                "attributes.region:*",
                r#"attributes.region:"eu-west-1""#,
                r#"attributes.region:"eu-"*"#,
            ],
            &["attributes.model:esp8266*", "attributes.color:*"],
        );
        assert_matches("a*b", &[], &[r"thingName:a\*b"], &[]);
        assert_matches("axb", &[], &[], &[r"thingName:a\*b"]);
        assert_matches("a b(c)", &[], &[r#"thingName:"a b(c)""#], &[]);
    }

    #[test]
    fn ranges() {
        assert_matches(
            "x",
            ATTRS,
            &[
                "attributes.fw:[40 TO 42]",
                "attributes.fw:[42 TO 42]",
                "attributes.fw:[* TO 42]",
                "attributes.fw:[-5 TO *]",
            ],
            &[
                "attributes.fw:[43 TO 50]",
                // Not a number.
                "attributes.model:[* TO *]",
                "attributes.none:[* TO *]",
            ],
        );
    }

    #[test]
    fn operators_and_precedence() {
        assert_matches(
            "x",
            ATTRS,
            // The second: implicit AND.
            &[
                "attributes.fw:42 AND thingName:x",
                "attributes.fw:42 thingName:x",
            ],
            &[
                "attributes.fw:41 thingName:x",
                "thingName:x AND -attributes.fw:[0 TO 100]",
            ],
        );
        assert_matches(
            "x",
            &[],
            &[
                // AND binds tighter: a OR (b AND c).
                "thingName:x OR thingName:y AND thingName:z",
                "NOT thingName:y",
                "-thingName:y",
                // Absent is not red.
                "NOT attributes.color:red",
                "NOT NOT thingName:x",
                "NOT(thingName:y OR thingName:z)",
            ],
            &["(thingName:x OR thingName:y) AND thingName:z"],
        );
    }

    #[test]
    fn mentions_only_attribute_keys() {
        let q = Query::parse("thingName:a OR NOT (attributes.b:1 attributes.c.d:*)").unwrap();
        assert!(q.mentions("b") && q.mentions("c.d"));
        assert!(!q.mentions("thingName") && !q.mentions("c"));
        assert_eq!(q.to_string(), q.as_str());
    }
}
