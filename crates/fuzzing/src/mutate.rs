//! A small deterministic mutation fuzzer for the test command: fixed seeds, a bounded number
//! of iterations, the committed seed corpus plus mutations of it (byte flips, interesting
//! bytes, tokens that matter to gantry's parsers, deletions, duplications, splices). Not a
//! replacement for libFuzzer's coverage guidance (`cargo fuzz run`), a guard that the
//! targets and their corpora stay crash-free on every run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Tokens worth inserting: workflow commands and escapes, heredoc delimiters, YAML, CSV,
/// template and JSON syntax, multi-byte characters (slicing at a byte index inside one
/// panics) and bytes that are not UTF-8.
const TOKENS: [&[u8]; 27] = [
    b"::error::PWNED",
    b"%0A",
    b"%25",
    b"ghadelimiter_",
    b"<<",
    b"\r\n",
    b"\n",
    b"\"",
    b"{{",
    b"}}",
    b"type=",
    b",",
    b"=",
    b"*",
    b"&a ",
    b"*a",
    b": ",
    b"- ",
    b"[",
    b"{",
    b"sha256:",
    b"@",
    b"\xff\xfe",
    b"\x00",
    "ɏ".as_bytes(),
    "€".as_bytes(),
    "🦀".as_bytes(),
];

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next_u64() % bound as u64).expect("below a usize")
    }
}

/// `input` changed by one to four mutations; `other` is a second seed for splices.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if !data.is_empty() => {
                let at = at.min(data.len() - 1);
                data[at] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let at = at.min(data.len() - 1);
                data[at] = [0, 0xff, b'\n', b':', b'%', b'"', b'{', b'#'][rng.below(8)];
            }
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            3 if at < data.len() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            4 if at < data.len() => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                let copy = data[at..end].to_vec();
                data.splice(at..at, copy);
            }
            5 if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(64)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
            _ => data.insert(at, u8::try_from(rng.below(256)).expect("a byte")),
        }
    }
    data
}

/// The seed corpus of `target`: every file of `fuzz/seeds/<target>/` (committed;
/// `fuzz/corpus/` is libFuzzer's working corpus, not kept).
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = seeds_dir(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "{} has no seeds", dir.display());
    paths
        .iter()
        .map(|path| std::fs::read(path).expect("read a seed"))
        .collect()
}

/// `fuzz/seeds/<target>/` at the workspace root.
pub fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
}

/// Runs `target` on every seed, then on `iterations` mutations of them picked with `seed`;
/// returns the number of executions. A panic fails with the input that caused it, escaped.
pub fn run(target: crate::Target, seeds: &[Vec<u8>], iterations: usize, seed: u64) -> usize {
    let call = |input: &[u8]| {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| target(input))) {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            panic!("crash on input b\"{}\": {message}", input.escape_ascii());
        }
    };
    for input in seeds {
        call(input);
    }
    let mut rng = Rng::new(seed);
    for _ in 0..iterations {
        let base = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())];
        call(&mutate(&mut rng, base, other));
    }
    seeds.len() + iterations
}
