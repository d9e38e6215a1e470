//! A small JSON value type, reader and writer for the scenario and trace formats.
//!
//! It reads RFC 8259 JSON strictly and writes text byte for byte as `serde_json` writes the
//! same value (objects with sorted keys, floats in their shortest form), so that files made
//! before it stay identical. It exists because `serde_json` costs the page about 35 KB of
//! WebAssembly; the tests check it against `serde_json` on random values and random text.
//!
//! Numbers keep the distinction JSON readers care about: a whole number that fits in `u64`
//! (or `i64` when negative) stays exact, so seeds up to 2^64 - 1 survive a round trip.

use std::fmt;

/// Deepest nesting of arrays and objects the reader accepts (as `serde_json`).
pub const MAX_DEPTH: usize = 128;

/// A JSON value.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

/// A JSON number: exact when it is a whole number that fits in 64 bits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A whole number from 0 to 2^64 - 1.
    PosInt(u64),
    /// A negative whole number from -2^63.
    NegInt(i64),
    /// Any other number (always finite).
    Float(f64),
}

/// A JSON object: its members sorted by key, each key once.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Map(Vec<(String, Value)>);

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map(Vec::new())
    }

    /// Sets `key` to `value`, replacing any value it had.
    pub fn insert(&mut self, key: String, value: Value) {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The members, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the object has no member.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Number {
    /// A number from a float; `None` for NaN and infinities, which JSON cannot write.
    pub fn from_f64(x: f64) -> Option<Number> {
        x.is_finite().then_some(Number::Float(x))
    }

    /// The number as a `u64`, if it is a whole number in range.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Number::PosInt(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `f64` (whole numbers above 2^53 are rounded).
    pub fn as_f64(&self) -> f64 {
        match *self {
            Number::PosInt(n) => n as f64,
            Number::NegInt(n) => n as f64,
            Number::Float(x) => x,
        }
    }
}

impl fmt::Display for Number {
    /// The number as JSON writes it (`5`, `5.0`, `1e+21`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Value::Number(*self).to_json())
    }
}

impl Value {
    /// The value as a `u64`, if it is a whole number from 0 to 2^64 - 1.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The value as an `f64`, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    /// The value as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if the value is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if the value is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The member `key`, if the value is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// Compact JSON text, as `serde_json::to_string` writes it.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, None, 0);
        out
    }

    /// JSON text indented by two spaces, as `serde_json::to_string_pretty` writes it.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(2), 0);
        out
    }

    fn write(&self, out: &mut String, indent: Option<usize>, depth: usize) {
        let newline = |out: &mut String, depth: usize| {
            if let Some(step) = indent {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', step * depth));
            }
        };
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(Number::PosInt(n)) => write_u64(out, *n),
            Value::Number(Number::NegInt(n)) => {
                out.push('-');
                write_u64(out, n.unsigned_abs());
            }
            Value::Number(Number::Float(x)) => {
                // serde_json writes a positive exponent with its sign: 1e+21.
                let mut buffer = ryu::Buffer::new();
                let text = buffer.format_finite(*x);
                match text.split_once('e') {
                    Some((m, e)) if !e.starts_with('-') => {
                        out.push_str(m);
                        out.push_str("e+");
                        out.push_str(e);
                    }
                    _ => out.push_str(text),
                }
            }
            Value::String(s) => write_str(out, s),
            Value::Array(items) if items.is_empty() => out.push_str("[]"),
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    v.write(out, indent, depth + 1);
                }
                newline(out, depth);
                out.push(']');
            }
            Value::Object(map) if map.is_empty() => out.push_str("{}"),
            Value::Object(map) => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    write_str(out, k);
                    out.push_str(if indent.is_some() { ": " } else { ":" });
                    v.write(out, indent, depth + 1);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }
}

impl fmt::Display for Value {
    /// Compact JSON text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(Number::PosInt(n))
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::from(u64::from(n))
    }
}

impl From<f64> for Value {
    /// A float; NaN and infinities become `null`, as in `serde_json`.
    fn from(x: f64) -> Value {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Value {
        Value::Object(map)
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(Number::PosInt(n)) => serializer.serialize_u64(*n),
            Value::Number(Number::NegInt(n)) => serializer.serialize_i64(*n),
            Value::Number(Number::Float(x)) => serializer.serialize_f64(*x),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut m = serializer.serialize_map(Some(map.len()))?;
                for (k, v) in map.iter() {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

/// Writes `n` in decimal.
pub fn write_u64(out: &mut String, mut n: u64) {
    let (mut digits, mut i) = ([0u8; 20], 20);
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[i..].iter().map(|&d| char::from(d)));
}

/// Writes `s` as a JSON string, escaped as `serde_json` escapes it: `"` and `\\`, the short
/// escapes for backspace, tab, newline, form feed and carriage return, `\u00xx` for the other
/// control characters below 0x20, everything else as it is.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => '"',
            b'\\' => '\\',
            0x08 => 'b',
            b'\t' => 't',
            b'\n' => 'n',
            0x0C => 'f',
            b'\r' => 'r',
            0..=0x1F => 'u',
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push('\\');
        out.push(short);
        if short == 'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// `s` as a quoted JSON string (used in messages in place of `{:?}`, whose code is large).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_str(&mut out, s);
    out
}

/// A float as `format!("{x}")` writes an `f64` (shortest digits that read back to it, no
/// exponent), built from ryu's shortest digits so that the code of float formatting is not
/// linked into the page.
pub fn plain(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let mut out = String::new();
    // ryu writes `[-]digits[.digits][e[-]digits]`.
    let (mut digits, mut int_len, mut exp, mut exp_sign, mut in_exp) = (vec![], None, 0, 1, false);
    for b in ryu::Buffer::new().format_finite(x).bytes() {
        match b {
            b'-' if in_exp => exp_sign = -1,
            b'-' => out.push('-'),
            b'.' => int_len = Some(digits.len()),
            b'e' | b'E' => in_exp = true,
            b'+' => {}
            d if in_exp => exp = exp * 10 + i32::from(d - b'0'),
            d => digits.push(d),
        }
    }
    // The value is 0.DIGITS times 10^point.
    let mut point = int_len.unwrap_or(digits.len()) as i32 + exp_sign * exp;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    while digits.first() == Some(&b'0') {
        digits.remove(0);
        point -= 1;
    }
    if digits.is_empty() {
        out.push('0');
        return out;
    }
    // Of two shortest candidates equally near the value, ryu takes the even one and Rust the
    // larger: D.5 (in units of the last digit) exactly is written D + 1.
    let last = digits.len() - 1;
    if digits[last] & 1 == 0 {
        // At most 17 digits: d < 2^57.
        let d = digits
            .iter()
            .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        let bits = x.abs().to_bits();
        let biased = (bits >> 52) as i32;
        let m = bits & ((1 << 52) - 1) | if biased == 0 { 0 } else { 1 << 52 };
        // Is m * 2^(e + 1) equal to (2d + 1) * 10^p? Compare odd parts and powers of two.
        // A product that overflows is not equal: the other side is below 2^58.
        let (e, p) = (biased.max(1) - 1075, point - digits.len() as i32);
        let five = |k: i32| 5u64.checked_pow(k.max(0) as u32);
        let lhs = five(-p).and_then(|f| (m >> m.trailing_zeros()).checked_mul(f));
        let rhs = five(p).and_then(|f| (2 * d + 1).checked_mul(f));
        if lhs.is_some() && lhs == rhs && e + 1 + m.trailing_zeros() as i32 == p {
            digits[last] += 1;
        }
    }
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
    }
    for (i, &d) in digits.iter().enumerate() {
        if point > 0 && i == point as usize {
            out.push('.');
        }
        out.push(char::from(d));
    }
    for _ in digits.len() as i32..point {
        out.push('0');
    }
    out
}

/// Why a text is not JSON, and where (line and column count from 1; the column in bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What is wrong.
    pub message: String,
    /// The line of the problem.
    pub line: usize,
    /// The column of the problem.
    pub column: usize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for Error {}

/// Reads one JSON value; only whitespace may follow it.
pub fn parse(text: &str) -> Result<Value, Error> {
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    let v = r.value(0)?;
    r.space();
    if r.i < r.s.len() {
        return Err(r.error("trailing characters after the value"));
    }
    Ok(v)
}

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> Error {
        let before = &self.s[..self.i.min(self.s.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Error {
            message: message.to_string(),
            line,
            column,
        }
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, Error> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        self.space();
        match self.peek() {
            None => Err(self.error("the text ends where a value should be")),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(open @ (b'[' | b'{')) => {
                if depth >= MAX_DEPTH {
                    return Err(self.error("nested too deeply (at most 128 levels)"));
                }
                self.i += 1;
                if open == b'[' {
                    self.array(depth)
                } else {
                    self.object(depth)
                }
            }
            Some(_) => Err(self.error("expected a value")),
        }
    }

    /// After `[`.
    fn array(&mut self, depth: usize) -> Result<Value, Error> {
        let mut items = Vec::new();
        self.space();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.space();
            if self.peek() == Some(b']') && !items.is_empty() {
                return Err(self.error("trailing comma"));
            }
            items.push(self.value(depth + 1)?);
            self.space();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.error("the text ends inside a list")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    /// After `{`.
    fn object(&mut self, depth: usize) -> Result<Value, Error> {
        let mut map = Map::new();
        self.space();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.space();
            match self.peek() {
                Some(b'"') => {}
                Some(b'}') if !map.is_empty() => return Err(self.error("trailing comma")),
                None => return Err(self.error("the text ends inside an object")),
                Some(_) => return Err(self.error("expected a key in double quotes")),
            }
            let at = self.i;
            let key = self.string()?;
            self.space();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:`"));
            }
            self.i += 1;
            let value = self.value(depth + 1)?;
            if map.get(&key).is_some() {
                self.i = at;
                return Err(self.error(&format!("the key {} appears twice", quote(&key))));
            }
            map.insert(key, value);
            self.space();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(map));
                }
                None => return Err(self.error("the text ends inside an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let int_start = self.i;
        match self.digits() {
            0 => return Err(self.error("expected a digit")),
            n if n > 1 && self.s[int_start] == b'0' => {
                self.i = int_start + 1;
                return Err(self.error("a number must not start with 0"));
            }
            _ => {}
        }
        let mut whole = true;
        if self.peek() == Some(b'.') {
            self.i += 1;
            whole = false;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            whole = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        let text = &self.text[start..self.i];
        if whole {
            if negative {
                if let Ok(n) = text.parse::<i64>() {
                    // -0 is the float -0.0, as serde_json reads it.
                    return Ok(Value::Number(if n == 0 {
                        Number::Float(-0.0)
                    } else {
                        Number::NegInt(n)
                    }));
                }
            } else if let Ok(n) = text.parse::<u64>() {
                return Ok(Value::Number(Number::PosInt(n)));
            }
        }
        match parse_f64(text) {
            Some(x) => Ok(Value::Number(Number::Float(x))),
            None => {
                self.i = start;
                Err(self.error("number out of range"))
            }
        }
    }

    /// At `"`.
    fn string(&mut self) -> Result<String, Error> {
        self.i += 1;
        let mut out = String::new();
        let mut start = self.i;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error("the text ends inside a string"));
            };
            match b {
                b'"' => {
                    out.push_str(&self.text[start..self.i]);
                    self.i += 1;
                    return Ok(out);
                }
                0..=0x1F => {
                    return Err(self.error("a control character must be escaped in a string"))
                }
                b'\\' => {
                    out.push_str(&self.text[start..self.i]);
                    self.i += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.s[self.i..].starts_with(b"\\u") {
                                    return Err(
                                        self.error("a lone leading surrogate in \\u escape")
                                    );
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(
                                        self.error("an invalid surrogate pair in \\u escape")
                                    );
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            let Some(c) = char::from_u32(code) else {
                                return Err(self.error("a lone trailing surrogate in \\u escape"));
                            };
                            out.push(c);
                            start = self.i;
                            continue;
                        }
                        _ => return Err(self.error("an invalid escape in a string")),
                    };
                    out.push(c);
                    self.i += 1;
                    start = self.i;
                }
                _ => self.i += 1,
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut n = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error("expected 4 hex digits in \\u escape")),
            };
            n = n * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(n)
    }
}

/// The `f64` nearest to the decimal number `text` (JSON number syntax, already checked),
/// ties to even; `None` when it is too large for an `f64`.
///
/// Exact and without tables (core's parser carries a 10 KB table into the page): short
/// numbers take Clinger's fast path, the rest an exact big-integer division.
pub fn parse_f64(text: &str) -> Option<f64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp_text) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, ""),
    };
    // The value is DIGITS * 10^exp.
    let mut exp: i64 = 0;
    let exp_text = exp_text.strip_prefix('+').unwrap_or(exp_text);
    let (exp_negative, exp_digits) = match exp_text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, exp_text),
    };
    for b in exp_digits.bytes() {
        exp = (exp * 10 + i64::from(b - b'0')).min(1_000_000);
    }
    if exp_negative {
        exp = -exp;
    }
    let mut digits: Vec<u8> = Vec::new();
    let mut seen_point = false;
    for b in mantissa.bytes() {
        match b {
            b'.' => seen_point = true,
            b'0' if digits.is_empty() => {
                if seen_point {
                    exp -= 1;
                }
            }
            d => {
                digits.push(d - b'0');
                if seen_point {
                    exp -= 1;
                }
            }
        }
    }
    while digits.last() == Some(&0) {
        digits.pop();
        exp += 1;
    }
    let signed = |x: f64| if negative { -x } else { x };
    let n = digits.len() as i64;
    if n == 0 || n + exp < -324 {
        return Some(signed(0.0));
    }
    if n - 1 + exp > 309 {
        return None;
    }
    // Past 800 significant digits only "something follows" matters: a halfway point between
    // two doubles has at most 767.
    if digits.len() > 800 {
        exp += digits.len() as i64 - 800;
        digits.truncate(799);
        digits.push(1);
    }
    let n = digits.len() as i64;
    // Clinger's fast path: both factors are exact doubles, and one operation rounds correctly.
    if n <= 15 && (-22..=22).contains(&exp) {
        let d = digits.iter().fold(0u64, |a, &d| a * 10 + u64::from(d)) as f64;
        let mut p = 1.0;
        for _ in 0..exp.unsigned_abs() {
            p *= 10.0;
        }
        return Some(signed(if exp >= 0 { d * p } else { d / p }));
    }
    // The value is num / den exactly.
    let mut num = Big::from_digits(&digits);
    let mut den = Big(vec![1]);
    for _ in 0..exp.unsigned_abs() {
        if exp > 0 {
            num.mul_small(10);
        } else {
            den.mul_small(10);
        }
    }
    // q = floor(num * 2^s / den) with 2^53 <= q < 2^54: 53 bits and a rounding bit.
    let quotient = |s: i64| {
        let (mut a, mut b) = (num.clone(), den.clone());
        if s >= 0 {
            a.shl(s as usize);
        } else {
            b.shl((-s) as usize);
        }
        a.div_small_quotient(&b)
    };
    let mut s = 54 - (num.bits() as i64 - den.bits() as i64);
    let (mut q, mut sticky) = quotient(s);
    if q >= 1 << 54 {
        sticky |= q & 1 == 1;
        q >>= 1;
        s -= 1;
    }
    // value = q * 2^-s = (q / 2) * 2^(1 - s).
    let mut e2 = 1 - s;
    if e2 < -1074 {
        // Subnormal: the last bit kept is worth 2^-1074.
        (q, sticky) = quotient(1075);
        e2 = -1074;
    }
    let mut m = q >> 1;
    if q & 1 == 1 && (sticky || m & 1 == 1) {
        m += 1;
    }
    if m == 1 << 53 {
        m = 1 << 52;
        e2 += 1;
    }
    if e2 > 971 {
        return None;
    }
    let bits = if m < 1 << 52 {
        m // subnormal (or zero)
    } else {
        ((e2 + 1075) as u64) << 52 | (m - (1 << 52))
    };
    Some(signed(f64::from_bits(bits)))
}

/// An unsigned big integer, 32-bit limbs, least significant first.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn from_digits(digits: &[u8]) -> Big {
        let mut b = Big(vec![0]);
        for &d in digits {
            b.mul_small(10);
            b.add_small(u32::from(d));
        }
        b
    }

    fn mul_small(&mut self, k: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(k) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn add_small(&mut self, k: u32) {
        let mut carry = u64::from(k);
        for limb in &mut self.0 {
            if carry == 0 {
                return;
            }
            let v = u64::from(*limb) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn trim(&mut self) {
        while self.0.len() > 1 && self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn bits(&self) -> usize {
        let top = self.0.iter().rposition(|&l| l != 0).unwrap_or(0);
        top * 32 + (32 - self.0[top].leading_zeros() as usize)
    }

    fn shl(&mut self, n: usize) {
        let (limbs, bits) = (n / 32, n % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let v = *limb;
                *limb = v << bits | carry;
                carry = v >> (32 - bits);
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        if limbs > 0 {
            self.0.splice(0..0, std::iter::repeat_n(0, limbs));
        }
    }

    fn cmp(&self, other: &Big) -> std::cmp::Ordering {
        let (a, b) = (self.0.len(), other.0.len());
        let len = a.max(b);
        for i in (0..len).rev() {
            let x = self.0.get(i).copied().unwrap_or(0);
            let y = other.0.get(i).copied().unwrap_or(0);
            if x != y {
                return x.cmp(&y);
            }
        }
        std::cmp::Ordering::Equal
    }

    /// self -= other (other <= self).
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let v = i64::from(self.0[i]) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            self.0[i] = (v + (borrow << 32)) as u32;
        }
        self.trim();
    }

    /// The quotient self / den, which must be below 2^56, and whether a remainder is left.
    fn div_small_quotient(mut self, den: &Big) -> (u64, bool) {
        let mut q = 0u64;
        for i in (0..56).rev() {
            let mut shifted = den.clone();
            shifted.shl(i);
            if self.cmp(&shifted) != std::cmp::Ordering::Less {
                self.sub(&shifted);
                q |= 1 << i;
            }
        }
        (q, self.0.iter().any(|&l| l != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn serde(v: &Value) -> serde_json::Value {
        serde_json::from_str(&v.to_json()).unwrap()
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(|n| Value::Number(if n < 0 {
                Number::NegInt(n)
            } else {
                Number::PosInt(n as u64)
            })),
            any::<f64>().prop_map(Value::from),
            (0.0f64..1.0).prop_map(Value::from),
            ".{0,8}".prop_map(Value::String),
            "[\\x00-\\x1f\"\\\\a\u{e9}\u{1F600}]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[a-z_]{0,5}", inner), 0..6).prop_map(|kv| {
                    let mut m = Map::new();
                    for (k, v) in kv {
                        m.insert(k, v);
                    }
                    Value::Object(m)
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The text written is what serde_json writes for the same value, compact and pretty,
        /// and reads back to the same value.
        #[test]
        fn writes_as_serde_json_and_reads_back(v in arb_value()) {
            let sj = serde(&v);
            prop_assert_eq!(v.to_json(), serde_json::to_string(&sj).unwrap());
            prop_assert_eq!(v.to_pretty(), serde_json::to_string_pretty(&sj).unwrap());
            prop_assert_eq!(parse(&v.to_json()).unwrap(), v.clone());
            prop_assert_eq!(parse(&v.to_pretty()).unwrap(), v);
        }

        /// On any text, this reader accepts exactly what serde_json accepts (except a key
        /// given twice, which it refuses) and reads the same value.
        #[test]
        fn reads_as_serde_json(text in "[\\[\\]{}\":,0-9eE.+\\-tfnrul \\\\a-z\\x00\u{e9}]{0,24}") {
            check_same(&text)?;
        }

        #[test]
        fn reads_numbers_as_serde_json(text in "-?[0-9]{0,22}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{0,4})?") {
            check_same(&text)?;
        }

        /// The float reader agrees with core's on every double written out, on random
        /// decimal text, and on numbers just beside the halfway points between doubles.
        #[test]
        fn parse_f64_matches_core(x in any::<f64>(), digits in "[0-9]{1,40}", point in 0usize..40, e in -400i32..400) {
            if x.is_finite() {
                for text in [format!("{x:e}"), format!("{x}"), format!("{:.20e}", x)] {
                    prop_assert_eq!(parse_f64(&text).map(f64::to_bits), Some(text.parse::<f64>().unwrap().to_bits()), "{}", text);
                }
                // Halfway between x and the next double up, and just either side of it.
                let next = f64::from_bits(x.abs().to_bits() + 1);
                if next.is_finite() {
                    let mid = format!("{:.60e}", x.abs());
                    prop_assert_eq!(parse_f64(&mid).map(f64::to_bits), Some(mid.parse::<f64>().unwrap().to_bits()), "{}", mid);
                }
            }
            let point = point.min(digits.len());
            let or_zero = |t: &str| if t.is_empty() { "0".to_string() } else { t.to_string() };
            let text = format!("{}.{}e{e}", or_zero(&digits[..point]), or_zero(&digits[point..]));
            let core = text.parse::<f64>().unwrap();
            prop_assert_eq!(parse_f64(&text).map(f64::to_bits), core.is_finite().then(|| core.to_bits()), "{}", text);
        }

        #[test]
        fn plain_matches_display(x in any::<f64>()) {
            prop_assert_eq!(plain(x), format!("{x}"));
        }

        #[test]
        fn plain_matches_display_for_short_decimals(n in 0u64..1_000_000, scale in 0u32..9) {
            let x = n as f64 / 10f64.powi(scale as i32);
            prop_assert_eq!(plain(x), format!("{x}"));
        }
    }

    fn check_same(text: &str) -> Result<(), TestCaseError> {
        let ours = parse(text);
        let theirs = serde_json::from_str::<serde_json::Value>(text);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => prop_assert_eq!(&serde(a), b),
            (Err(e), Ok(_)) => prop_assert!(e.message.contains("twice"), "{text:?}: {e}"),
            (Ok(_), Err(e)) => prop_assert!(false, "{text:?} accepted; serde_json: {e}"),
            (Err(_), Err(_)) => {}
        }
        Ok(())
    }

    /// Exactly halfway cases, subnormals, the limits and very long inputs.
    #[test]
    fn parse_f64_edge_cases() {
        let cases = [
            "9007199254740993",               // 2^53 + 1: halfway, ties to even (down)
            "9007199254740995",               // 2^53 + 3: halfway, ties to even (up)
            "9007199254740993.0000000000001", // just above halfway
            "2.2250738585072011e-308",        // just below the smallest normal
            "2.2250738585072014e-308",
            "4.9406564584124654e-324", // the smallest subnormal
            "2.4703282292062327e-324", // half of it: rounds to 0
            "2.4703282292062328e-324", // just above half: rounds up
            "1.7976931348623157e308",
            "1.7976931348623158e308", // rounds down to MAX
            "0.1",
            "0.3",
            "12.345",
            "1e23",
            "8.98846567431158e307",
            "123456789012345678901234567890e-40",
            "0.000000000000000000000000000000000000000000001e300",
        ];
        for text in cases {
            let core = text.parse::<f64>().unwrap();
            assert_eq!(
                parse_f64(text).map(f64::to_bits),
                Some(core.to_bits()),
                "{text}"
            );
        }
        assert_eq!(parse_f64("1.7976931348623159e308"), None);
        assert_eq!(parse_f64("1e309"), None);
        assert_eq!(parse_f64("1e-400"), Some(0.0));
        assert_eq!(
            parse_f64("-0.0").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        let long = format!("0.{}1e1", "0".repeat(2000));
        assert_eq!(parse_f64(&long), Some(long.parse::<f64>().unwrap()));
        let long = format!("1.{}1", "0".repeat(5000));
        assert_eq!(parse_f64(&long), Some(1.0));
        let long = format!("{}e-4000", "9".repeat(4000));
        assert_eq!(parse_f64(&long), Some(long.parse::<f64>().unwrap()));
    }

    #[test]
    fn exact_big_numbers_and_errors() {
        assert_eq!(
            parse("18446744073709551615").unwrap().as_u64(),
            Some(u64::MAX)
        );
        assert_eq!(
            parse("18446744073709551616").unwrap().as_f64(),
            Some(18446744073709551616.0)
        );
        assert_eq!(parse("-0").unwrap().as_u64(), None);
        assert_eq!(parse("-0").unwrap().as_f64(), Some(0.0));
        let e = parse("{\"a\": 1,\n \"a\": 2}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the key \"a\" appears twice at line 2 column 2"
        );
        let e = parse("[1, 2").unwrap_err();
        assert_eq!((e.line, e.column), (1, 6));
        assert!(parse("1e999").unwrap_err().message.contains("out of range"));
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep)
            .unwrap_err()
            .message
            .contains("nested too deeply"));
        assert_eq!(
            parse("\"\\ud83d\\ude00\\u00e9\"").unwrap(),
            Value::from("\u{1F600}\u{e9}")
        );
        assert!(parse("\"\\udc00\"").is_err());
        assert!(parse("\"\\ud800x\"").is_err());
    }
}
