//! Ports of the JavaScript behaviour docker/metadata-action's output depends on: each module
//! reproduces one library or built-in as metadata-action v6 runs it (node 24).
//!
//! | module | what it ports |
//! |---|---|
//! | [`csv`] | csv-parse 7's dialect of the list inputs (both passes) |
//! | [`handlebars`] | Handlebars 4.7's expressions (`{{ }}`, `{{{ }}}`, comments, `~`, paths) |
//! | [`moment`] | moment 2.30 `format()` with moment-timezone |
//! | [`jsregex`] | ECMAScript regular expressions (`new RegExp`, `String.prototype.match`) |
//! | [`node_semver`] | node-semver 7's `valid`, `parse` and `prerelease` |
//! | [`pep440`] | @renovatebot/pep440's `valid`, `explain`, `clean`, `major`/`minor`/`patch` |
//! | [`collate`] | `localeCompare` (ICU root collation) for label order |
//! | [`jsnum`] | `Number(string)` and the integer conversions built on it |
//! | [`jsdate`] | `new Date(string)` for ISO 8601 timestamps |
//! | [`jsstring`] | `String.prototype.trim` |
//! | [`array_sort`] | V8's `Array.prototype.sort` (TimSort), comparator results and all |
//!
//! The conformance contract: for every input metadata-action accepts, a port returns what the
//! JavaScript returns, byte for byte; where metadata-action throws, the port returns an
//! error. The contract is checked by the shared vectors
//! (`tests/it/fixtures/metadata-action-vectors.json`), by the cases of
//! `tests/it/fixtures/metadata-action-v6-differences.json` (each with the metadata-action
//! version and the source behaviour its expectation rests on), and by each module's unit
//! tests. A port that cannot follow the JavaScript says so in its module doc, and
//! `docs/tags.md` lists it among the documented differences with the reason; there is no
//! silent difference.

pub mod array_sort;
pub mod collate;
pub mod csv;
pub mod handlebars;
pub mod jsdate;
pub mod jsnum;
pub mod jsregex;
pub mod jsstring;
pub mod moment;
pub mod node_semver;
pub mod pep440;
