//! Progress reporting: a bar on a terminal, plain lines (at most every 10%) otherwise, so that
//! scheduler logs stay readable.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    last_line: u64,
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    pub fn new(label: &str, total: u64, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({eta})")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            b.set_message(label.to_string());
            b
        });
        Progress { label: label.into(), total, done: 0, last_line: 0, bar, quiet }
    }

    pub fn inc(&mut self, n: u64) {
        self.done += n;
        if let Some(b) = &self.bar {
            b.inc(n);
        } else if !self.quiet && self.total > 0 && (self.done - self.last_line) * 10 >= self.total {
            self.last_line = self.done;
            eprintln!(
                "{}: {}/{} ({:.0}%)",
                self.label,
                self.done,
                self.total,
                100.0 * self.done as f64 / self.total as f64
            );
        }
    }

    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
