//! The `kolrec` command: parse arguments, run, print the error chain and exit 2 on failure.

/// `println!` that hands a failed write (a closed pipe, a full disk) back as an error for `?`
/// instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).map_err($crate::output_error)?
    }};
}

/// `print!` as [`outln!`] writes.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*).map_err($crate::output_error)?
    }};
}

mod bench;
mod cli;
mod demo;
mod print;

use clap::Parser;

/// A write to standard output that failed.
fn output_error(e: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context("cannot write to standard output")
}

/// The reader of our output went away (`kolrec … | head -1`): what it read is what it wanted.
fn reader_left(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

fn main() {
    let args = cli::Cli::parse();
    let result = cli::run(args).and_then(|()| {
        use std::io::Write as _;
        std::io::stdout().flush().map_err(output_error)
    });
    if let Err(e) = result {
        if reader_left(&e) {
            std::process::exit(0);
        }
        eprintln!("error: {e}");
        for cause in e.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(2);
    }
}
