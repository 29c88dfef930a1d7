//! Integration tests: one binary, shared helpers in `common`.

mod cli;
mod common;
mod import_real;
mod sample;
mod validate;
