//! Tests of the index against fixture trees written to fresh temporary directories.
//!
//! Fixtures are one raw string with `//- /path` file headers (see `Fixture::new`); the
//! workspace root is `<tmp>/ws` and the cache lives beside it in `<tmp>/cache`.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod context;
mod fixture;
mod query;
mod workspace;
