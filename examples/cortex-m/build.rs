//! Puts the linker script's `memory.x` where cortex-m-rt's `link.x` looks for it (the linker
//! search path): `memory.x` (lm3s6965evb, Cortex-M3) for `thumbv7m`, `memory-mps2-an386.x`
//! (QEMU mps2-an386, Cortex-M4) for `thumbv7em`, which also gets `cfg(mps2_an386)` (the
//! machine's SysTick clock differs).
//!
//! With feature `wycheproof`, it also converts ota-core's Wycheproof ECDSA P-256 SHA-256
//! vector files (JSON) into the compact tables `src/bin/wycheproof.rs` includes (see
//! [`wycheproof_table`] for the format).
//!
//! With feature `defmt`, it also adds defmt's linker script (`-Tdefmt.x`) to the link.

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR set by cargo"));
    let target = env::var("TARGET").expect("TARGET set by cargo");
    println!("cargo:rustc-check-cfg=cfg(mps2_an386)");
    let memory = if target.starts_with("thumbv7em-") {
        println!("cargo:rustc-cfg=mps2_an386");
        "memory-mps2-an386.x"
    } else {
        "memory.x"
    };
    fs::copy(memory, out.join("memory.x")).expect("copy the memory layout");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=memory-mps2-an386.x");
    println!("cargo:rerun-if-changed=build.rs");
    // defmt keeps its log strings in a section of their own, placed by defmt's linker script.
    if env::var_os("CARGO_FEATURE_DEFMT").is_some() {
        println!("cargo:rustc-link-arg=-Tdefmt.x");
    }
    if env::var_os("CARGO_FEATURE_WYCHEPROOF").is_some() {
        let vectors = PathBuf::from("../../ota-core/tests/vectors/wycheproof");
        for (json, table) in [
            ("ecdsa_secp256r1_sha256_test.json", "wycheproof_der.bin"),
            (
                "ecdsa_secp256r1_sha256_p1363_test.json",
                "wycheproof_p1363.bin",
            ),
        ] {
            let path = vectors.join(json);
            println!("cargo:rerun-if-changed={}", path.display());
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let value = json::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            fs::write(out.join(table), wycheproof_table(&value)).expect("write the table");
        }
    }
}

/// One Wycheproof ECDSA file as a table, all integers little-endian:
///
/// ```text
/// file  = groups: u16, group*
/// group = key_len: u16, key: [u8] (SubjectPublicKeyInfo DER), cases: u16, case*
/// case  = tc_id: u16, result: u8 (0 valid, 1 invalid, 2 acceptable),
///         msg_len: u16, msg: [u8], sig_len: u16, sig: [u8]
/// ```
///
/// Panics on anything unexpected (another hash, a missing field), so that a changed file
/// cannot pass silently.
fn wycheproof_table(file: &json::Value) -> Vec<u8> {
    fn u16_of(n: usize) -> [u8; 2] {
        u16::try_from(n).expect("fits in u16").to_le_bytes()
    }
    fn bytes(out: &mut Vec<u8>, hex: &json::Value) {
        let hex = hex.str();
        assert!(hex.len().is_multiple_of(2), "hex of odd length");
        let decoded: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect();
        out.extend_from_slice(&u16_of(decoded.len()));
        out.extend_from_slice(&decoded);
    }
    let groups = file.get("testGroups").array();
    let mut out = Vec::new();
    out.extend_from_slice(&u16_of(groups.len()));
    for group in groups {
        assert_eq!(group.get("sha").str(), "SHA-256");
        bytes(&mut out, group.get("publicKeyDer"));
        let tests = group.get("tests").array();
        out.extend_from_slice(&u16_of(tests.len()));
        for case in tests {
            out.extend_from_slice(&u16_of(case.get("tcId").number() as usize));
            out.push(match case.get("result").str() {
                "valid" => 0,
                "invalid" => 1,
                "acceptable" => 2,
                other => panic!("unknown result {other}"),
            });
            bytes(&mut out, case.get("msg"));
            bytes(&mut out, case.get("sig"));
        }
    }
    out
}

/// Just enough JSON for the vector files (no dependency: the firmware's lock file stays as
/// it is). Numbers are kept as f64.
mod json {
    pub enum Value {
        Null,
        Bool,
        Number(f64),
        String(String),
        Array(Vec<Value>),
        Object(Vec<(String, Value)>),
    }

    impl Value {
        pub fn get(&self, key: &str) -> &Value {
            match self {
                Value::Object(fields) => fields
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v)
                    .unwrap_or_else(|| panic!("no field {key}")),
                _ => panic!("not an object (looking for {key})"),
            }
        }
        pub fn array(&self) -> &[Value] {
            match self {
                Value::Array(items) => items,
                _ => panic!("not an array"),
            }
        }
        pub fn str(&self) -> &str {
            match self {
                Value::String(s) => s,
                _ => panic!("not a string"),
            }
        }
        pub fn number(&self) -> f64 {
            match self {
                Value::Number(n) => *n,
                _ => panic!("not a number"),
            }
        }
    }

    pub fn parse(text: &str) -> Result<Value, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            at: 0,
        };
        let value = p.value()?;
        p.ws();
        if p.at != p.s.len() {
            return Err(format!("trailing text at {}", p.at));
        }
        Ok(value)
    }

    struct Parser<'a> {
        s: &'a [u8],
        at: usize,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.s.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
                self.at += 1;
            }
        }
        fn err<T>(&self, what: &str) -> Result<T, String> {
            Err(format!("{what} at byte {}", self.at))
        }
        fn eat(&mut self, c: u8) -> Result<(), String> {
            self.ws();
            if self.s.get(self.at) == Some(&c) {
                self.at += 1;
                Ok(())
            } else {
                self.err(&format!("expected '{}'", c as char))
            }
        }
        fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
            if self.s[self.at..].starts_with(word.as_bytes()) {
                self.at += word.len();
                Ok(value)
            } else {
                self.err("bad literal")
            }
        }
        fn value(&mut self) -> Result<Value, String> {
            self.ws();
            match self.s.get(self.at) {
                Some(b'{') => {
                    self.at += 1;
                    let mut fields = Vec::new();
                    self.ws();
                    if self.s.get(self.at) == Some(&b'}') {
                        self.at += 1;
                        return Ok(Value::Object(fields));
                    }
                    loop {
                        self.ws();
                        let key = self.string()?;
                        self.eat(b':')?;
                        fields.push((key, self.value()?));
                        self.ws();
                        match self.s.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b'}') => {
                                self.at += 1;
                                return Ok(Value::Object(fields));
                            }
                            _ => return self.err("expected ',' or '}'"),
                        }
                    }
                }
                Some(b'[') => {
                    self.at += 1;
                    let mut items = Vec::new();
                    self.ws();
                    if self.s.get(self.at) == Some(&b']') {
                        self.at += 1;
                        return Ok(Value::Array(items));
                    }
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.s.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b']') => {
                                self.at += 1;
                                return Ok(Value::Array(items));
                            }
                            _ => return self.err("expected ',' or ']'"),
                        }
                    }
                }
                Some(b'"') => Ok(Value::String(self.string()?)),
                Some(b't') => self.literal("true", Value::Bool),
                Some(b'f') => self.literal("false", Value::Bool),
                Some(b'n') => self.literal("null", Value::Null),
                Some(c) if *c == b'-' || c.is_ascii_digit() => {
                    let start = self.at;
                    while self
                        .s
                        .get(self.at)
                        .is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(c))
                    {
                        self.at += 1;
                    }
                    let text = std::str::from_utf8(&self.s[start..self.at]).expect("ASCII");
                    text.parse()
                        .map(Value::Number)
                        .or_else(|_| self.err("bad number"))
                }
                _ => self.err("expected a value"),
            }
        }
        fn string(&mut self) -> Result<String, String> {
            if self.s.get(self.at) != Some(&b'"') {
                return self.err("expected a string");
            }
            self.at += 1;
            let mut out = Vec::new();
            loop {
                let Some(&c) = self.s.get(self.at) else {
                    return self.err("unterminated string");
                };
                self.at += 1;
                match c {
                    b'"' => break,
                    b'\\' => {
                        let Some(&e) = self.s.get(self.at) else {
                            return self.err("unterminated escape");
                        };
                        self.at += 1;
                        match e {
                            b'u' => {
                                // Comments only: kept as '?', the table never holds them.
                                self.at += 4;
                                out.push(b'?');
                            }
                            b'n' => out.push(b'\n'),
                            b't' => out.push(b'\t'),
                            b'r' => out.push(b'\r'),
                            b'b' | b'f' => out.push(b' '),
                            other => out.push(other),
                        }
                    }
                    c => out.push(c),
                }
            }
            String::from_utf8(out).or_else(|_| self.err("string not UTF-8"))
        }
    }
}
