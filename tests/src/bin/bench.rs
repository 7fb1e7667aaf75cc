//! `cargo xtask bench`'s browser half: time from page load to the widget's first screen in
//! headless Chromium, per mode, median of several runs (first run = cold cache, reported apart).

use std::time::Duration;

use kabinet_tests::browser::{eventually, Browser};
use kabinet_tests::{pkg_dir, Db, Stack};

const RUNS: usize = 9;

#[tokio::main]
async fn main() {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    println!("\nTime to first screen (ms from navigation start to the loader's kabinet:ready mark), {RUNS} runs each");
    println!("  mode      cold     warm median   warm min   warm max   page load (warm median)");
    for mode in ["frame", "inline"] {
        let b = Browser::start().await;
        let mut ready = Vec::new();
        let mut load = Vec::new();
        for _ in 0..RUNS {
            b.client.goto(&format!("{}/cabinet?mode={mode}", stack.site_url)).await.expect("open page");
            let t = eventually("kabinet:ready mark", Duration::from_secs(30), || async {
                let v = b
                    .client
                    .execute(
                        "const m = performance.getEntriesByName('kabinet:ready')[0];\
                         const n = performance.getEntriesByType('navigation')[0];\
                         return m ? [m.startTime, n ? n.loadEventEnd : 0] : null;",
                        vec![],
                    )
                    .await
                    .ok()?;
                let a = v.as_array()?;
                Some((a[0].as_f64()?, a[1].as_f64().unwrap_or(0.0)))
            })
            .await;
            ready.push(t.0);
            load.push(t.1);
        }
        let cold = ready[0];
        let mut warm = ready[1..].to_vec();
        warm.sort_by(f64::total_cmp);
        let mut warm_load = load[1..].to_vec();
        warm_load.sort_by(f64::total_cmp);
        println!(
            "  {mode:<8} {cold:>6.0} {:>16.0} {:>10.0} {:>10.0} {:>12.0}",
            warm[warm.len() / 2],
            warm[0],
            warm[warm.len() - 1],
            warm_load[warm_load.len() / 2]
        );
        b.close().await;
    }
    stack.stop().await;
}
