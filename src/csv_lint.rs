//! Finds the first line of a CSV text that breaks its quoting or carries more values than the
//! header has columns, so that a malformed file is reported as file, line and what is wrong instead
//! of a reader's chunk offsets (or a megabyte of echoed text), and no value is cut silently.

/// What is wrong with a CSV text, and on which line (1-based, the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFault {
    pub line: usize,
    pub reason: String,
}

/// How to treat a quote in the middle of an unquoted field (`5'10" tall`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrayQuotes {
    /// As an error: the reader failed and the quote is the likely reason.
    Fault,
    /// As an ordinary character (also after a closing quote): the reader accepted the file, and
    /// only values beyond the header are looked for.
    Literal,
}

/// The longest value quoted back in a message; a runaway field must not become the message.
const SHOWN: usize = 40;

/// Scan `text` (`\n` line ends, `,` delimiter, `"` quotes doubled inside quoted fields). Trailing
/// empty fields beyond the header (`a,b,c,`) are no fault: no value is lost by dropping them.
pub fn check(text: &str, stray: StrayQuotes) -> Result<(), CsvFault> {
    let bytes = text.as_bytes();
    let mut line = 1usize;
    let mut header: Option<usize> = None;
    let mut field = 0usize;
    let mut field_start = 0usize;
    let mut at_field_start = true;
    let mut in_quotes = false;
    let mut after_close = false;
    let mut opened_on = 0usize;
    let mut has_value = false;
    let mut i = 0usize;
    let end_field = |field: usize, header: Option<usize>, has_value: bool, start: usize, end: usize, line: usize| {
        match header {
            Some(h) if field >= h && has_value => Err(CsvFault {
                line,
                reason: format!(
                    "{} values where the header has {h} columns (value {} is '{}'): a delimiter inside a value needs quotes",
                    field + 1,
                    field + 1,
                    shown(&text[start..end])
                ),
            }),
            _ => Ok(()),
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            match b {
                b'"' if bytes.get(i + 1) == Some(&b'"') => i += 1,
                b'"' => {
                    in_quotes = false;
                    after_close = true;
                }
                b'\n' => line += 1,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b',' | b'\n' => {
                end_field(field, header, has_value, field_start, i, line)?;
                field += 1;
                if b == b'\n' {
                    header.get_or_insert(field);
                    field = 0;
                    line += 1;
                }
                field_start = i + 1;
                at_field_start = true;
                after_close = false;
                has_value = false;
            }
            _ if after_close && stray == StrayQuotes::Fault => {
                return Err(CsvFault {
                    line,
                    reason: format!(
                        "text after the closing quote of value {} ('{}'): a quote inside a quoted value is written \"\"",
                        field + 1,
                        shown(&text[field_start..line_end(text, i)])
                    ),
                });
            }
            b'"' if at_field_start => {
                in_quotes = true;
                opened_on = line;
                at_field_start = false;
                has_value = true;
            }
            b'"' if stray == StrayQuotes::Fault => {
                return Err(CsvFault {
                    line,
                    reason: format!(
                        "a quote inside the unquoted value {} ('{}'): quote the whole value and write the quote as \"\"",
                        field + 1,
                        shown(&text[field_start..line_end(text, i)])
                    ),
                });
            }
            _ => {
                at_field_start = false;
                has_value |= !b.is_ascii_whitespace();
            }
        }
        i += 1;
    }
    if in_quotes {
        return Err(CsvFault {
            line: opened_on,
            reason: format!("a quote opened in value {} never closes (the file ends inside it)", field + 1),
        });
    }
    end_field(field, header, has_value, field_start, bytes.len(), line)
}

fn line_end(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |n| from + n)
}

fn shown(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(text: &str, stray: StrayQuotes) -> CsvFault {
        check(text, stray).unwrap_err()
    }

    #[test]
    fn well_formed_text_passes_with_quotes_newlines_and_trailing_empty_fields() {
        let ok = "a,b,c\n1,\"x, \"\"y\"\"\nz\",3\n4,5,6,\n7,8,9, ,\n";
        assert_eq!(check(ok, StrayQuotes::Fault), Ok(()));
        assert_eq!(check("a,b\n1,2", StrayQuotes::Fault), Ok(()), "no final newline");
        assert_eq!(check("", StrayQuotes::Fault), Ok(()));
    }

    #[test]
    fn an_unterminated_quote_names_the_line_it_opened_on_and_stays_short() {
        let mut text = String::from("a,b\n1,2\n3,\"never closed\n");
        for _ in 0..100_000 {
            text.push_str("5,6\n");
        }
        let f = fault(&text, StrayQuotes::Literal);
        assert_eq!(f.line, 3);
        assert!(f.reason.contains("value 2 never closes"), "{}", f.reason);
        assert!(f.reason.len() < 200);
    }

    #[test]
    fn a_stray_quote_and_text_after_a_closing_quote_are_faults_only_when_asked() {
        let text = "name,followers\nDwayne \"Rock\" J,5\n";
        let f = fault(text, StrayQuotes::Fault);
        assert_eq!(f.line, 2);
        assert!(f.reason.contains("quote inside the unquoted value 1") && f.reason.contains("Dwayne"), "{}", f.reason);
        assert_eq!(check(text, StrayQuotes::Literal), Ok(()));
        assert_eq!(check("a,b\n\"x\"y,3\n", StrayQuotes::Literal), Ok(()));
        let f = fault("a,b\n1,2\n\"x\"y,3\n", StrayQuotes::Fault);
        assert_eq!(f.line, 3);
        assert!(f.reason.contains("after the closing quote of value 1"), "{}", f.reason);
    }

    #[test]
    fn extra_values_beyond_the_header_are_a_fault_with_the_value_shown() {
        let f = fault("id,cost\nb1,10\nb2,10,999\n", StrayQuotes::Literal);
        assert_eq!(f.line, 3);
        assert!(f.reason.starts_with("3 values where the header has 2 columns (value 3 is '999')"), "{}", f.reason);
        let f = fault("id,cost\nb1,10,x", StrayQuotes::Literal);
        assert_eq!(f.line, 2, "a last line without a newline is checked too");
        let long = format!("a\n1,{}\n", "z".repeat(500));
        assert!(fault(&long, StrayQuotes::Literal).reason.contains(&format!("'{}…'", "z".repeat(40))));
    }
}
