//! The `kolrec` command: parse arguments, run, print the error chain and exit 2 on failure.

use clap::Parser;

fn main() {
    let cli = kolrec::cli::Cli::parse();
    if let Err(e) = kolrec::cli::run(cli) {
        eprintln!("error: {e}");
        for cause in e.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(2);
    }
}
