//! The performance page at deadline-day volume: 90 days of counters worth
//! 60 million applications (about 667,000 a day, every hour, nation, age
//! band, kind, language, council, identity outcome, completion time, message
//! channel and request count filled in), then `/performance` and the open
//! data files rendered through the public router from the database each time
//! (the instance's few-second cache cleared before every request).
//!
//! `cargo bench -p ier-citizen-web --bench performance` (`IER_BENCH_PAGES`,
//! default 50; `IER_BENCH_APPLICATIONS`, default 60,000,000).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use ier_storage::performance::{AGE_BANDS, CountRow, DAYS, Measure, categories, day_start_hour, hour_of, london_date};
use support::Client;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A deterministic spread of `total` over `parts` weights.
fn spread(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i64 = weights.iter().sum();
    weights.iter().map(|w| total * w / sum).collect()
}

fn main() {
    let pages = env("IER_BENCH_PAGES", 50) as usize;
    let applications = env("IER_BENCH_APPLICATIONS", 60_000_000) as i64;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut c = Client::new().await;
        let now = Utc::now();
        let today = london_date(now);
        let per_day = applications / DAYS;
        let councils: Vec<String> =
            ier_reference::ReferenceData::embedded().councils().map(|c| c.gss_code.to_string()).collect();
        let council_weights: Vec<i64> = (0..councils.len() as i64).map(|i| 1 + (i * 37) % 50).collect();
        let hour_weights: Vec<i64> = (0..24).map(|h| if (7..23).contains(&h) { 10 } else { 2 }).collect();
        let mut rows = Vec::new();
        let loaded = Instant::now();
        for back in 0..DAYS {
            let day = today - chrono::Duration::days(back);
            let start = day_start_hour(day);
            let row =
                |measure, category: &str, count| CountRow { period: start, measure, category: category.into(), count };
            for (h, n) in spread(per_day, &hour_weights).into_iter().enumerate() {
                let hour = start + h as i64;
                if hour <= hour_of(now) {
                    rows.push(CountRow {
                        period: hour,
                        measure: Measure::Applications,
                        category: String::new(),
                        count: n,
                    });
                }
            }
            rows.push(row(Measure::DailyApplications, "", per_day));
            for (m, weights) in [
                (Measure::Nation, vec![84, 5, 11]),
                (Measure::AgeBand, vec![3, 30, 25, 15, 10, 8, 5, 3, 1]),
                (Measure::Kind, vec![980, 12, 5, 2, 1]),
                (Measure::Language, vec![97, 3]),
                (Measure::Identity, vec![90, 10]),
                (Measure::Notifications, vec![70, 25, 5]),
            ] {
                for (cat, n) in categories(m).iter().zip(spread(per_day, &weights)) {
                    rows.push(row(m, cat, n));
                }
            }
            for (gss, n) in councils.iter().zip(spread(per_day, &council_weights)) {
                rows.push(row(Measure::Council, gss, n));
            }
            for minute in (0..=15).chain([20, 25, 30, 40, 50, 60, 90, 120, 180]) {
                rows.push(row(Measure::CompletionMinutes, &minute.to_string(), per_day / 25));
            }
            rows.push(row(Measure::JourneysStarted, "", per_day * 12 / 10));
            rows.push(row(Measure::RepeatNotices, "", per_day / 20));
            rows.push(row(Measure::RepeatSent, "", per_day / 60));
            rows.push(row(Measure::Requests, "all", per_day * 40));
            rows.push(row(Measure::Requests, "server-error", per_day / 1000));
        }
        assert_eq!(AGE_BANDS.len(), 9);
        for chunk in rows.chunks(5_000) {
            c.store.backend().add_counts(chunk).await.unwrap();
        }
        println!(
            "{} counter rows for {} applications over {DAYS} days, loaded in {:.1} s",
            rows.len(),
            applications,
            loaded.elapsed().as_secs_f64()
        );
        for path in [
            "/performance",
            "/performance?lang=cy",
            "/performance/data/figures-by-category.csv",
            "/performance/data/applications-by-council.json",
            "/performance/today.json",
        ] {
            let mut times: Vec<Duration> = Vec::with_capacity(pages);
            let mut bytes = 0;
            for _ in 0..pages {
                c.state.figures.clear();
                let t = Instant::now();
                let page = c.get(path).await;
                times.push(t.elapsed());
                assert_eq!(page.status, 200, "{path}");
                bytes = page.body.len();
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "{path}: {} bytes; uncached render p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({pages} requests)",
                bytes,
                ms(times[times.len() / 2]),
                ms(times[(times.len() * 99 / 100).min(times.len() - 1)]),
                ms(*times.last().unwrap()),
            );
        }
        let mut figures = Vec::new();
        for _ in 0..pages {
            let t = Instant::now();
            std::hint::black_box(c.state.citizen.figures(now).await.unwrap());
            figures.push(t.elapsed());
        }
        figures.sort();
        println!(
            "of which: reading the counters and working out the figures p50 {:.1} ms",
            figures[pages / 2].as_secs_f64() * 1000.0
        );
        let f = c.state.citizen.figures(now).await.unwrap();
        println!(
            "check: {} applications in the window, today {}, record {:?}",
            f.total_applications, f.today_applications, f.record_day
        );
    });
}
