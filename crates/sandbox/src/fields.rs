//! The Graph API `fields` parameter: `id,caption,children{id,media_url}`.

/// One requested field, with the sub-fields asked for inside `{…}` if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) sub: Option<Vec<Field>>,
}

/// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 4;

/// Parses a `fields` value; an empty value asks for nothing but the id.
///
/// The error is the text of a Graph "(#100)" message.
pub(crate) fn parse(input: &str) -> Result<Vec<Field>, String> {
    let mut parser = Parser {
        chars: input.chars().collect(),
        pos: 0,
    };
    let fields = parser.list(0)?;
    match parser.peek() {
        None => Ok(fields),
        Some(c) => Err(format!("Syntax error \"Unexpected '{c}'\" in fields")),
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&mut self) -> Option<char> {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
        self.chars.get(self.pos).copied()
    }

    /// A comma-separated list, ending at the end of input or at a `}` left for the caller.
    fn list(&mut self, depth: usize) -> Result<Vec<Field>, String> {
        if depth > MAX_DEPTH {
            return Err("Syntax error \"Fields are nested too deeply\"".to_owned());
        }
        let mut fields = Vec::new();
        loop {
            match self.peek() {
                None | Some('}') => return Ok(fields),
                Some(',') => self.pos += 1,
                Some(_) => {
                    let field = self.field(depth)?;
                    // Asking twice for a field is harmless on Instagram; keep the first.
                    if !fields.iter().any(|f: &Field| f.name == field.name) {
                        fields.push(field);
                    }
                }
            }
        }
    }

    fn field(&mut self, depth: usize) -> Result<Field, String> {
        let start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            self.pos += 1;
        }
        if self.pos == start {
            let c = self.chars.get(self.pos).copied().unwrap_or(' ');
            return Err(format!("Syntax error \"Unexpected '{c}'\" in fields"));
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let sub = if self.peek() == Some('{') {
            self.pos += 1;
            let sub = self.list(depth + 1)?;
            if self.peek() != Some('}') {
                return Err(format!("Syntax error \"Expected '}}' after {name}{{…\""));
            }
            self.pos += 1;
            Some(sub)
        } else {
            None
        };
        match self.peek() {
            None | Some(',') | Some('}') => Ok(Field { name, sub }),
            Some(c) => Err(format!("Syntax error \"Unexpected '{c}'\" in fields")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(fields: &[Field]) -> Vec<&str> {
        fields.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn parses_flat_and_nested_fields() {
        let fields = parse("id, caption,children{id,media_type,media_url,thumbnail_url},timestamp")
            .expect("valid fields");
        assert_eq!(names(&fields), ["id", "caption", "children", "timestamp"]);
        let children = fields[2].sub.as_deref().expect("children has sub-fields");
        assert_eq!(
            names(children),
            ["id", "media_type", "media_url", "thumbnail_url"]
        );
        assert_eq!(fields[0].sub, None);
    }

    #[test]
    fn empty_and_repeated_entries_are_tolerated() {
        assert_eq!(parse("").expect("empty"), vec![]);
        assert_eq!(names(&parse("id,,id,").expect("repeats")), ["id"]);
    }

    #[test]
    fn rejects_broken_syntax_without_panicking() {
        for bad in [
            "children{id",
            "id}",
            "a b",
            "media_url.width(5)",
            "{",
            "{{{{{{{{{{",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
        let deep = format!("{}{}", "a{".repeat(10_000), "}".repeat(10_000));
        assert!(parse(&deep).is_err(), "deep nesting is refused");
    }
}
