//! Progress of downloads and loads: bars on a terminal, throttled log lines
//! otherwise (under cron, or with `--no-progress`).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::decode::{LoadProgress, Progress};

/// How often a load bar or log line polls its member's byte counter.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

const BAR_TEMPLATE: &str =
    "{msg:40!} [{bar:30}] {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec:>12} ETA {eta}";

/// Destination of progress and per-file lines. Cloning is cheap, and clones
/// draw into the same set of bars.
#[derive(Clone)]
pub struct Reporter {
    /// The bars, or `None` to log progress instead.
    bars: Option<MultiProgress>,
    /// Minimum time between two progress log lines of one file or member.
    interval: Duration,
}

impl Reporter {
    /// Draws bars on stderr when `bars` is true, and otherwise logs
    /// progress through `tracing` at most once per `interval` per file.
    pub fn new(bars: bool, interval: Duration) -> Self {
        let bars = bars.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Self { bars, interval }
    }

    /// Prints one line to stderr above any bars.
    pub fn println(&self, line: &str) {
        let print = || {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        };
        match &self.bars {
            Some(bars) => bars.suspend(print),
            None => print(),
        }
    }

    /// Starts the progress of downloading `name`, of `size` bytes.
    pub fn download(&self, name: &str, size: u64) -> DownloadProgress {
        DownloadProgress {
            bar: self.add_bar(format!("download {name}"), size),
            name: name.to_owned(),
            throttle: Throttle::new(self.interval),
        }
    }

    /// Returns the load progress for [`LoadOptions`](crate::load::LoadOptions),
    /// with a bar or log lines per member being loaded.
    pub fn load_progress(&self) -> Progress {
        let members = MemberProgress {
            reporter: self.clone(),
            active: Mutex::default(),
        };
        Progress(Some(Arc::new(members)))
    }

    /// Returns the writer for log lines, which draws them above any bars.
    pub fn log_writer(&self) -> LogWriter {
        LogWriter {
            bars: self.bars.clone(),
        }
    }

    fn add_bar(&self, message: String, length: u64) -> Option<ProgressBar> {
        let bars = self.bars.as_ref()?;
        let style = ProgressStyle::with_template(BAR_TEMPLATE)
            .expect("the bar template is valid")
            .progress_chars("=> ");
        let bar = ProgressBar::new(length)
            .with_style(style)
            .with_message(message);
        Some(bars.add(bar))
    }
}

/// Progress of one download, fed from the client's progress callback.
pub struct DownloadProgress {
    bar: Option<ProgressBar>,
    name: String,
    throttle: Throttle,
}

impl DownloadProgress {
    /// Records that `done` of `total` bytes are on disk.
    pub fn update(&mut self, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        } else if self.throttle.due() {
            tracing::info!(
                file = %self.name,
                done = %HumanBytes(done),
                total = %HumanBytes(total),
                percent = format_args!("{:.1}", percent(done, total)),
                rate = %format_args!("{}/s", HumanBytes(self.throttle.rate(done))),
                eta = %self.throttle.eta(done, total),
                "downloading"
            );
        }
    }

    /// Removes the bar, whether the download succeeded or not.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Load progress: a watcher thread per member polls the member's byte
/// counter and moves its bar or logs a line.
struct MemberProgress {
    reporter: Reporter,
    /// Stop signals of the watchers, by archive and member. Dropping a
    /// sender stops its watcher.
    active: Mutex<HashMap<(String, String), mpsc::Sender<()>>>,
}

impl LoadProgress for MemberProgress {
    fn member_started(&self, archive: &str, member: &str, bytes: u64, file_bytes: Arc<AtomicU64>) {
        let label = format!("load {member}");
        let watcher = Watcher {
            bar: self.reporter.add_bar(label, bytes),
            archive: archive.to_owned(),
            member: member.to_owned(),
            bytes,
            file_bytes,
            throttle: Throttle::new(self.reporter.interval),
        };
        let (stop, stopped) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("load-progress".into())
            .spawn(move || watcher.run(&stopped));
        if let Err(error) = spawned {
            tracing::debug!(%error, "cannot start a progress thread; loading without progress");
            return;
        }
        let key = (archive.to_owned(), member.to_owned());
        lock(&self.active).insert(key, stop);
    }

    fn member_finished(&self, archive: &str, member: &str) {
        lock(&self.active).remove(&(archive.to_owned(), member.to_owned()));
    }
}

/// Watches one member being loaded.
struct Watcher {
    bar: Option<ProgressBar>,
    archive: String,
    member: String,
    bytes: u64,
    file_bytes: Arc<AtomicU64>,
    throttle: Throttle,
}

impl Watcher {
    fn run(mut self, stopped: &mpsc::Receiver<()>) {
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(POLL_INTERVAL) {
            self.update();
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn update(&mut self) {
        let read = self.file_bytes.load(Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_position(read);
        } else if self.throttle.due() {
            tracing::info!(
                archive = %self.archive,
                member = %self.member,
                read = %HumanBytes(read),
                total = %HumanBytes(self.bytes),
                percent = format_args!("{:.1}", percent(read, self.bytes)),
                rate = %format_args!("{}/s", HumanBytes(self.throttle.rate(read))),
                eta = %self.throttle.eta(read, self.bytes),
                "loading"
            );
        }
    }
}

/// Lets a log line through at most once per interval.
struct Throttle {
    started: Instant,
    last: Instant,
    interval: Duration,
}

impl Throttle {
    fn new(interval: Duration) -> Self {
        let now = Instant::now();
        Self {
            started: now,
            last: now,
            interval,
        }
    }

    fn due(&mut self) -> bool {
        if self.last.elapsed() < self.interval {
            return false;
        }
        self.last = Instant::now();
        true
    }

    /// Time left at the average rate so far, as `1h02m03s`, or `unknown`
    /// before any byte has arrived.
    fn eta(&self, done: u64, total: u64) -> String {
        let rate = self.rate(done);
        if rate == 0 {
            return "unknown".to_owned();
        }
        let seconds = total.saturating_sub(done) / rate;
        format!(
            "{}h{:02}m{:02}s",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }

    /// Average bytes per second since the start. A resumed download counts
    /// the bytes already on disk too, so its first rates are too high.
    // `as` saturates, and no rate comes near u64::MAX bytes per second.
    #[allow(clippy::cast_possible_truncation)]
    fn rate(&self, bytes: u64) -> u64 {
        let seconds = self.started.elapsed().as_secs_f64();
        if seconds <= 0.0 {
            return 0;
        }
        (bytes as f64 / seconds) as u64
    }
}

fn percent(done: u64, total: u64) -> f64 {
    if total == 0 {
        return 100.0;
    }
    done as f64 * 100.0 / total as f64
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A `tracing` writer to stderr that hides the bars while it writes a line.
#[derive(Clone)]
pub struct LogWriter {
    bars: Option<MultiProgress>,
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine {
            bars: self.bars.clone(),
            buffer: Vec::new(),
        }
    }
}

/// One log event, collected and written to stderr when dropped, so that a
/// line is never split by a bar redraw.
pub struct LogLine {
    bars: Option<MultiProgress>,
    buffer: Vec<u8>,
}

impl Write for LogLine {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let write = || {
            let _ = std::io::stderr().lock().write_all(&self.buffer);
        };
        match &self.bars {
            Some(bars) => bars.suspend(write),
            None => write(),
        }
    }
}
