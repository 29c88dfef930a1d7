//! Table files: find `NAME.csv` / `NAME.parquet` in a dataset directory, read them into polars
//! frames (CSV as text, repairing BOM, CRLF and Latin-1 bytes), and write frames atomically.

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::fsutil::temp_sibling;

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("missing table '{table}': expected {table}.csv or {table}.parquet in {}", dir.display())]
    Missing { table: String, dir: PathBuf },
    #[error("table '{table}': {} is not a file (a directory?)", path.display())]
    NotAFile { table: String, path: PathBuf },
    #[error("cannot read the data directory {}: {reason}", dir.display())]
    Directory { dir: PathBuf, reason: String },
    #[error("ambiguous table '{table}': both {table}.csv and {table}.parquet exist in {}; keep one", dir.display())]
    Ambiguous { table: String, dir: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot parse {}: {source}", path.display())]
    Format { path: PathBuf, source: PolarsError },
    #[error("cannot parse {}, line {}: {}", path.display(), fault.line, fault.reason)]
    Csv { path: PathBuf, fault: crate::csv_lint::CsvFault },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: PolarsError },
    #[error("unsupported file type for {}: use .csv or .parquet", path.display())]
    Extension { path: PathBuf },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    pub fn of(path: &Path) -> Result<Format, TableError> {
        match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()) {
            Some(e) if e == "csv" => Ok(Format::Csv),
            Some(e) if e == "parquet" || e == "pq" => Ok(Format::Parquet),
            _ => Err(TableError::Extension { path: path.to_path_buf() }),
        }
    }
}

/// Find the file holding table `name` in `dir`.
pub fn locate(dir: &Path, name: &str) -> Result<PathBuf, TableError> {
    if let Err(e) = std::fs::read_dir(dir) {
        return Err(TableError::Directory { dir: dir.into(), reason: e.to_string() });
    }
    let csv = dir.join(format!("{name}.csv"));
    let pq = dir.join(format!("{name}.parquet"));
    if let Some(p) = [&csv, &pq].into_iter().find(|p| p.exists() && !p.is_file()) {
        return Err(TableError::NotAFile { table: name.into(), path: p.clone() });
    }
    match (csv.is_file(), pq.is_file()) {
        (true, false) => Ok(csv),
        (false, true) => Ok(pq),
        (true, true) => Err(TableError::Ambiguous { table: name.into(), dir: dir.into() }),
        (false, false) => Err(TableError::Missing { table: name.into(), dir: dir.into() }),
    }
}

/// A table as read from disk. CSV columns are all text; Parquet columns keep their types.
pub struct RawTable {
    pub path: PathBuf,
    pub frame: DataFrame,
    /// Bytes that were not valid UTF-8 and were decoded as Windows-1252.
    pub repaired_bytes: usize,
    /// Parquet columns of a type kolrec does not read (nested, time of day, …), left out of
    /// `frame`: an extra one does not matter, a used one is an error naming it.
    pub unread: Vec<UnreadColumn>,
}

/// A column left out of a table because of its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadColumn {
    pub name: String,
    pub dtype: String,
}

impl std::fmt::Display for UnreadColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "column '{}' is of Parquet type {}, which kolrec does not read (use numbers, text or dates)",
            self.name, self.dtype
        )
    }
}

impl RawTable {
    /// File name for messages (`campaigns.csv`).
    pub fn file_name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// Read a whole CSV or Parquet file (the batches of [`TableReader`] stacked). CSV is read with
/// every column as text so that the caller reports bad values with their row and column instead
/// of a reader's type error.
pub fn read(path: &Path) -> Result<RawTable, TableError> {
    let mut reader = TableReader::open(path, |_| true, Batch::default())?;
    let mut frame = reader.next_batch().transpose()?.unwrap_or_default();
    while let Some(batch) = reader.next_batch().transpose()? {
        frame.vstack_mut_owned(batch).map_err(|source| TableError::Format { path: path.into(), source })?;
    }
    if frame.width() == 0 {
        frame = DataFrame::empty_with_schema(&reader.schema);
    }
    Ok(RawTable { path: path.into(), frame, repaired_bytes: reader.repaired_bytes, unread: reader.unread })
}

/// How big a batch of a [`TableReader`] is. The defaults keep a batch far below the columns a
/// large table fills; tests use tiny batches to prove that batching changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Bytes of CSV text per batch (cut at the next record boundary, so a batch can be longer).
    pub csv_bytes: usize,
    /// Rows per batch of a Parquet file whose row groups are larger.
    pub parquet_rows: usize,
}

impl Default for Batch {
    fn default() -> Self {
        Batch { csv_bytes: 64 << 20, parquet_rows: 1 << 20 }
    }
}

/// A table read batch by batch, so that a loader holds one batch of the file beside what it has
/// parsed instead of the whole file. Every batch has the same columns; `names` are all the file's
/// columns (as the reader names them), also those left out by the projection, so that a caller
/// can check the header once.
pub struct TableReader {
    pub path: PathBuf,
    pub names: Vec<String>,
    /// The columns of every batch.
    pub schema: Schema,
    pub unread: Vec<UnreadColumn>,
    /// Rows in the file (Parquet), or an estimate from the first batch (CSV).
    pub rows_hint: usize,
    /// Bytes decoded as Windows-1252 so far.
    pub repaired_bytes: usize,
    source: Source,
}

enum Source {
    Csv {
        chunks: CsvChunks,
        keep: Vec<bool>,
        pending: Option<DataFrame>,
    },
    Parquet {
        metadata: polars::io::parquet::metadata::FileMetadataRef,
        projection: Option<Vec<usize>>,
        slices: std::vec::IntoIter<(usize, usize)>,
    },
}

impl TableReader {
    /// Open `path`, reading only the columns whose name `keep` accepts (Parquet columns of a type
    /// kolrec cannot read are never read, and listed in `unread`).
    pub fn open(path: &Path, keep: impl Fn(&str) -> bool, batch: Batch) -> Result<TableReader, TableError> {
        let batch = Batch { csv_bytes: batch.csv_bytes.max(1), parquet_rows: batch.parquet_rows.max(1) };
        let ferr = |source| TableError::Format { path: path.into(), source };
        match Format::of(path)? {
            Format::Csv => {
                let file = fs::File::open(path).map_err(|source| TableError::Io { path: path.into(), source })?;
                let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
                let mut chunks = CsvChunks::new(file, batch.csv_bytes);
                let first = chunks.next_text().map_err(|source| TableError::Io { path: path.into(), source })?;
                let (text, consumed, repaired) = first.unwrap_or_default();
                let frame = chunks.parse(path, text)?;
                let names: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
                let keep: Vec<bool> = names.iter().map(|n| keep(n)).collect();
                let frame = project(frame, &keep);
                let rows_hint = if chunks.done || consumed == 0 {
                    frame.height()
                } else {
                    (frame.height() as f64 * size as f64 / consumed as f64 * 1.02) as usize + 1
                };
                Ok(TableReader {
                    path: path.into(),
                    names,
                    schema: frame.schema().as_ref().clone(),
                    unread: Vec::new(),
                    rows_hint,
                    repaired_bytes: repaired,
                    source: Source::Csv { chunks, keep, pending: Some(frame) },
                })
            }
            Format::Parquet => {
                let file = fs::File::open(path).map_err(|source| TableError::Io { path: path.into(), source })?;
                let mut reader = ParquetReader::new(file);
                let arrow = reader.schema().map_err(ferr)?;
                let metadata = reader.get_metadata().map_err(ferr)?.clone();
                let (mut projection, mut unread, mut names) = (Vec::new(), Vec::new(), Vec::new());
                for (i, field) in arrow.iter_values().enumerate() {
                    names.push(field.name.to_string());
                    if !readable(&field.dtype) {
                        unread.push(UnreadColumn { name: field.name.to_string(), dtype: format!("{:?}", field.dtype) });
                    } else if keep(&field.name) {
                        projection.push(i);
                    }
                }
                let all = projection.len() == names.len();
                // The schema of a batch is that of the projected columns: read zero rows.
                let empty = ParquetReader::new(
                    fs::File::open(path).map_err(|source| TableError::Io { path: path.into(), source })?,
                )
                .with_projection(Some(projection.clone()))
                .with_slice(Some((0, 0)))
                .finish()
                .map_err(ferr)?;
                let mut slices = Vec::new();
                let mut start = 0;
                for rg in &metadata.row_groups {
                    let mut left = rg.num_rows();
                    while left > 0 {
                        let n = left.min(batch.parquet_rows);
                        slices.push((start, n));
                        start += n;
                        left -= n;
                    }
                }
                Ok(TableReader {
                    path: path.into(),
                    names,
                    schema: empty.schema().as_ref().clone(),
                    unread,
                    rows_hint: metadata.num_rows,
                    repaired_bytes: 0,
                    source: Source::Parquet {
                        metadata,
                        projection: (!all).then_some(projection),
                        slices: slices.into_iter(),
                    },
                })
            }
        }
    }

    /// The next batch, or `None` after the last.
    pub fn next_batch(&mut self) -> Option<Result<DataFrame, TableError>> {
        let path = &self.path;
        match &mut self.source {
            Source::Csv { chunks, keep, pending } => {
                if let Some(frame) = pending.take() {
                    return Some(Ok(frame));
                }
                loop {
                    let (text, repaired) = match chunks.next_text() {
                        Ok(None) => return None,
                        Ok(Some((text, _, repaired))) => (text, repaired),
                        Err(source) => return Some(Err(TableError::Io { path: path.clone(), source })),
                    };
                    self.repaired_bytes += repaired;
                    match chunks.parse(path, text) {
                        Ok(frame) => {
                            if frame.height() > 0 {
                                return Some(Ok(project(frame, keep)));
                            }
                        }
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
            Source::Parquet { metadata, projection, slices } => {
                let (offset, len) = slices.next()?;
                let read = || {
                    let file =
                        fs::File::open(&*path).map_err(|source| TableError::Io { path: path.clone(), source })?;
                    let mut reader = ParquetReader::new(file).with_slice(Some((offset, len)));
                    reader.set_metadata(metadata.clone());
                    let reader = if projection.is_some() { reader.with_projection(projection.clone()) } else { reader };
                    reader.finish().map_err(|source| TableError::Format { path: path.clone(), source })
                };
                Some(read())
            }
        }
    }
}

fn project(frame: DataFrame, keep: &[bool]) -> DataFrame {
    if keep.iter().all(|&k| k) {
        return frame;
    }
    let columns = frame.columns().iter().zip(keep).filter(|(_, k)| **k).map(|(c, _)| c.clone()).collect();
    DataFrame::new(frame.height(), columns).unwrap_or(frame)
}

/// A CSV file cut into texts at record boundaries, each after the first starting with the
/// header, so that the CSV reader and [`crate::csv_lint`] see ordinary CSV and a fault's line is
/// the file's.
struct CsvChunks {
    file: fs::File,
    batch_bytes: usize,
    carry: Vec<u8>,
    eof: bool,
    /// The last text has been handed out.
    done: bool,
    /// The header record with its line end, once the first text is cut.
    header: Option<String>,
    header_lines: usize,
    /// Physical lines of the file before the current text (the header included).
    lines_before: usize,
    /// The file's line on which the current text's records begin.
    first_line: usize,
}

impl CsvChunks {
    fn new(file: fs::File, batch_bytes: usize) -> CsvChunks {
        CsvChunks {
            file,
            batch_bytes,
            carry: Vec::new(),
            eof: false,
            done: false,
            header: None,
            header_lines: 0,
            lines_before: 0,
            first_line: 0,
        }
    }

    /// The next text, decoded: (text, bytes of the file it covers, bytes repaired).
    fn next_text(&mut self) -> std::io::Result<Option<(String, usize, usize)>> {
        use std::io::Read;
        if self.done {
            return Ok(None);
        }
        let cut = loop {
            if self.carry.len() >= self.batch_bytes
                && let Some(cut) = last_record_end(&self.carry)
            {
                break cut;
            }
            if self.eof {
                break self.carry.len();
            }
            let before = self.carry.len();
            self.carry.resize(before + self.batch_bytes.min(8 << 20), 0);
            let n = self.file.read(&mut self.carry[before..])?;
            self.carry.truncate(before + n);
            self.eof = n == 0;
        };
        let rest = self.carry.split_off(cut);
        let mut bytes = std::mem::replace(&mut self.carry, rest);
        self.done = self.eof && self.carry.is_empty();
        if bytes.is_empty() && self.header.is_some() {
            return Ok(None);
        }
        let consumed = bytes.len();
        let lines = bytes.iter().filter(|&&b| b == b'\n').count();
        let text = match &self.header {
            None => {
                if bytes.starts_with(b"\xEF\xBB\xBF") {
                    bytes.drain(..3);
                }
                let end = first_record_end(&bytes).unwrap_or(bytes.len());
                let header = crate::parse::decode_text(&bytes[..end]).0;
                self.header_lines = header.matches('\n').count();
                self.header = Some(header);
                self.first_line = 1;
                crate::parse::decode_text(&bytes)
            }
            Some(h) => {
                self.first_line = self.lines_before + 1;
                let (t, repaired) = crate::parse::decode_text(&bytes);
                (format!("{h}{t}"), repaired)
            }
        };
        drop(bytes);
        self.lines_before += lines;
        Ok(Some((text.0, consumed, text.1)))
    }

    /// Parse the text last returned; a fault's line is the file's.
    fn parse(&self, path: &Path, text: String) -> Result<DataFrame, TableError> {
        read_csv_text(text).map_err(|e| match e {
            CsvError::Fault(mut fault) => {
                if self.first_line > 1 && fault.line > self.header_lines {
                    fault.line = fault.line - self.header_lines + self.first_line - 1;
                }
                TableError::Csv { path: path.into(), fault }
            }
            CsvError::Reader(source) => TableError::Format { path: path.into(), source },
        })
    }
}

/// Where each record of CSV bytes ends (just past its `\n`), by the quoting the reader and the
/// lint use: a quote opens a value only at its start, and `""` inside quotes is a quote.
fn record_ends(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let (mut in_quotes, mut at_start) = (false, true);
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let b = bytes[i];
            i += 1;
            if in_quotes {
                if b == b'"' {
                    if bytes.get(i) == Some(&b'"') {
                        i += 1;
                    } else {
                        in_quotes = false;
                    }
                }
                continue;
            }
            match b {
                b'"' if at_start => {
                    in_quotes = true;
                    at_start = false;
                }
                b',' => at_start = true,
                b'\n' => {
                    at_start = true;
                    return Some(i);
                }
                _ => at_start = false,
            }
        }
        None
    })
}

fn first_record_end(bytes: &[u8]) -> Option<usize> {
    record_ends(bytes).next()
}

fn last_record_end(bytes: &[u8]) -> Option<usize> {
    record_ends(bytes).last()
}

/// Arrow types this build of polars reads into a column kolrec can use. Anything else (nested
/// lists, structs and maps, dictionaries, time of day, durations, 128-bit integers, half floats)
/// would panic or fail the whole read inside polars, so it is kept out of the projection.
fn readable(dtype: &ArrowDataType) -> bool {
    use ArrowDataType as A;
    match dtype {
        A::Null | A::Boolean | A::Float32 | A::Float64 => true,
        A::Int8 | A::Int16 | A::Int32 | A::Int64 | A::UInt8 | A::UInt16 | A::UInt32 | A::UInt64 => true,
        A::Utf8 | A::LargeUtf8 | A::Utf8View | A::Binary | A::LargeBinary | A::BinaryView => true,
        A::Date32 | A::Date64 | A::Timestamp(_, _) => true,
        A::Decimal(p, _) | A::Decimal32(p, _) | A::Decimal64(p, _) => *p <= 38,
        _ => false,
    }
}

/// Why CSV text could not be read into a frame.
#[derive(Debug)]
pub enum CsvError {
    /// The text itself is malformed at a known line.
    Fault(crate::csv_lint::CsvFault),
    /// The reader failed and the text shows no fault the lint knows.
    Reader(PolarsError),
}

/// Parse CSV text with every column as a string; short rows are padded with nulls. Values beyond
/// the header and broken quoting are faults with their line (see [`crate::csv_lint`]).
pub fn read_csv_text(text: String) -> Result<DataFrame, CsvError> {
    use crate::csv_lint::{StrayQuotes, check};
    let text = if text.contains('\r') { text.replace("\r\n", "\n") } else { text };
    match parse_csv_text(&text) {
        Ok(frame) => {
            check(&text, StrayQuotes::Literal).map_err(CsvError::Fault)?;
            Ok(frame)
        }
        Err(e) => Err(match check(&text, StrayQuotes::Fault) {
            Err(fault) => CsvError::Fault(fault),
            Ok(()) => CsvError::Reader(shorten(e)),
        }),
    }
}

/// A reader's message can echo megabytes of the file; keep its first line, cut to a readable length.
fn shorten(e: PolarsError) -> PolarsError {
    let msg = e.to_string();
    let first = msg.lines().next().unwrap_or_default();
    let cut: String = first.chars().take(300).collect();
    if cut.len() == msg.len() { e } else { PolarsError::ComputeError(format!("{cut} …").into()) }
}

fn parse_csv_text(text: &str) -> PolarsResult<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .map_parse_options(|p| p.with_missing_is_null(true).with_truncate_ragged_lines(true))
        .into_reader_with_file_handle(Cursor::new(text.as_bytes()))
        .finish()
}

/// Write a frame as CSV or Parquet (by extension), atomically.
pub fn write(frame: &mut DataFrame, path: &Path) -> Result<(), TableError> {
    let format = Format::of(path)?;
    let tmp = temp_sibling(path);
    let werr = |source| TableError::Write { path: path.into(), source };
    create_parent(path).map_err(|e| werr(e.into()))?;
    let result = (|| {
        let file = fs::File::create(&tmp).map_err(|e| werr(e.into()))?;
        match format {
            Format::Csv => CsvWriter::new(file).include_header(true).finish(frame).map_err(werr)?,
            Format::Parquet => {
                ParquetWriter::new(file)
                    .with_compression(ParquetCompression::Zstd(None))
                    .finish(frame)
                    .map_err(werr)?;
            }
        }
        fs::rename(&tmp, path).map_err(|e| werr(e.into()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    } else {
        crate::fsutil::remove_stale_siblings(path);
    }
    result
}

/// An output's directory is made as needed: `--out new/dir/file.csv` is an ordinary request.
fn create_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => fs::create_dir_all(parent),
        None => Ok(()),
    }
}

/// Streams frames of one schema into a CSV or Parquet file; the file appears under its final name
/// only when [`BatchWriter::finish`] succeeds.
pub struct BatchWriter {
    path: PathBuf,
    tmp: PathBuf,
    inner: Inner,
}

enum Inner {
    Csv(polars::io::csv::write::BatchedWriter<fs::File>),
    Parquet(Box<polars::io::parquet::write::BatchedWriter<fs::File>>),
}

impl BatchWriter {
    pub fn create(path: &Path, schema: &Schema) -> Result<BatchWriter, TableError> {
        let format = Format::of(path)?;
        let tmp = temp_sibling(path);
        let werr = |source| TableError::Write { path: path.into(), source };
        create_parent(path).map_err(|e| werr(e.into()))?;
        let file = fs::File::create(&tmp).map_err(|e| werr(e.into()))?;
        let inner = match format {
            Format::Csv => Inner::Csv(CsvWriter::new(file).include_header(true).batched(schema).map_err(werr)?),
            Format::Parquet => Inner::Parquet(Box::new(
                ParquetWriter::new(file)
                    .with_compression(ParquetCompression::Zstd(None))
                    .batched(schema)
                    .map_err(werr)?,
            )),
        };
        Ok(BatchWriter { path: path.into(), tmp, inner })
    }

    pub fn write(&mut self, frame: &DataFrame) -> Result<(), TableError> {
        let r = match &mut self.inner {
            Inner::Csv(w) => w.write_batch(frame),
            Inner::Parquet(w) => w.write_batch(frame),
        };
        r.map_err(|source| TableError::Write { path: self.path.clone(), source })
    }

    pub fn finish(mut self) -> Result<(), TableError> {
        let werr = |source| TableError::Write { path: self.path.clone(), source };
        match &mut self.inner {
            Inner::Csv(w) => w.finish().map_err(werr)?,
            Inner::Parquet(w) => {
                w.finish().map_err(werr)?;
            }
        }
        fs::rename(&self.tmp, &self.path)
            .map_err(|e| TableError::Write { path: self.path.clone(), source: e.into() })?;
        crate::fsutil::remove_stale_siblings(&self.path);
        Ok(())
    }
}

impl Drop for BatchWriter {
    fn drop(&mut self) {
        // After a successful finish the temp file was renamed away and this does nothing.
        let _ = fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_that_is_a_directory_and_an_unreadable_data_directory_say_so() {
        let dir = std::env::temp_dir().join(format!("kolrec-locate-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("campaigns.csv")).unwrap();
        let e = locate(&dir, "campaigns").unwrap_err().to_string();
        assert!(e.contains("campaigns.csv is not a file"), "{e}");
        assert!(matches!(locate(&dir, "brands"), Err(TableError::Missing { .. })));
        let e = locate(&dir.join("nope"), "brands").unwrap_err().to_string();
        assert!(e.starts_with("cannot read the data directory") && e.contains("nope"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_table_is_written_into_directories_that_do_not_exist_yet() {
        let root = std::env::temp_dir().join(format!("kolrec-table-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for name in ["a/b/t.csv", "c/d/t.parquet"] {
            let path = root.join(name);
            let mut df = DataFrame::new_infer_height(vec![Column::new("x".into(), [1i64, 2, 3])]).unwrap();
            write(&mut df, &path).unwrap();
            assert_eq!(read(&path).unwrap().frame.height(), 3, "{name}");
        }
        let path = root.join("e/f/batch.csv");
        let mut w = BatchWriter::create(&path, &Schema::from_iter([Field::new("x".into(), DataType::Int64)])).unwrap();
        w.write(&DataFrame::new_infer_height(vec![Column::new("x".into(), [7i64])]).unwrap()).unwrap();
        w.finish().unwrap();
        assert_eq!(read(&path).unwrap().frame.height(), 1);
        fs::remove_dir_all(&root).unwrap();
    }
}
