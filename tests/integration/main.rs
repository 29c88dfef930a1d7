//! Integration tests: one binary, shared helpers in `common`.

mod architecture;
mod cli;
mod common;
mod export;
mod fuzz;
mod growth;
mod growth_real;
mod import_layouts;
mod import_real;
mod model;
mod recommend;
mod sample;
mod score;
mod server;
mod validate;
