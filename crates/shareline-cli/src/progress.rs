//! Progress on the terminal: one bar per account while scanning, a byte
//! counter while importing. Without a terminal, plain progress lines.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use shareline_app::import::ImportProgress;
use shareline_collect_aws::{Progress, ScopeResult};

/// Bars for a scan, one per account.
pub(crate) struct ScanBars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    tty: bool,
}

impl ScanBars {
    pub(crate) fn new() -> Self {
        Self {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
            tty: std::io::stderr().is_terminal(),
        }
    }

    pub(crate) fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl Progress for ScanBars {
    fn planned(&self, account_id: &str, runs: usize) {
        if !self.tty {
            eprintln!("scanning account {account_id}: {runs} service/region runs");
            return;
        }
        let bar = self.multi.add(ProgressBar::new(runs as u64));
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(account_id.to_owned());
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(account_id.to_owned(), bar);
        }
    }

    fn finished(&self, account_id: &str, scope: &ScopeResult) {
        let what = match &scope.error {
            Some(e) => format!("{}/{} FAILED: {}", scope.service, scope.region, e.kind),
            None => format!(
                "{}/{}: {} resources",
                scope.service, scope.region, scope.resource_count
            ),
        };
        if !self.tty {
            eprintln!("  {account_id} {what}");
            return;
        }
        if let Ok(bars) = self.bars.lock()
            && let Some(bar) = bars.get(account_id)
        {
            bar.inc(1);
            bar.set_message(what);
        }
    }
}

/// A spinner with bytes read and items parsed; updated from the counters.
pub(crate) fn import_bar(file: &Path, progress: Arc<ImportProgress>) -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(file.display().to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    let b = bar.clone();
    tokio::spawn(async move {
        loop {
            let bytes = progress.bytes.load(std::sync::atomic::Ordering::Relaxed);
            let items = progress.items.load(std::sync::atomic::Ordering::Relaxed);
            b.set_message(format!("{:.1} MB read, {items} items", bytes as f64 / 1e6));
            if b.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    bar
}
