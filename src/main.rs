//! The `kolrec` command: parse arguments, run, print the error chain and exit 2 on failure.

mod bench;
mod cli;
mod demo;
mod print;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        eprintln!("error: {e}");
        for cause in e.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(2);
    }
}
