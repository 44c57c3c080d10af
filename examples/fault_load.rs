//! Load for the fault script (benches/load/faults.sh): CONNECTIONS clients read bank profiles from the
//! hub for SECONDS seconds (bounded; loopback only), and every second print how many answers came with
//! each status and the longest answer. At the end: totals, the longest answer, and the 200s counted (to
//! compare with the access-log rows written). wrk gives throughput; this gives the per-second picture a
//! fault needs.
//!   cargo run --release --example fault_load -- http://127.0.0.1:18080 USCC_FILE BANK_KEY 32 30

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Second {
    by_status: BTreeMap<u16, u64>,
    longest: Duration,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, uscc_file, key, conns, secs] = args.as_slice() else {
        anyhow::bail!("usage: fault_load BASE_URL USCC_FILE BANK_KEY CONNECTIONS SECONDS");
    };
    anyhow::ensure!(
        base.starts_with("http://127.") || base.starts_with("http://localhost"),
        "loopback only"
    );
    let usccs: Arc<Vec<String>> = Arc::new(
        std::fs::read_to_string(uscc_file)?
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    );
    let (conns, secs): (usize, u64) = (conns.parse()?, secs.parse()?);
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let seconds: Arc<Mutex<Vec<Second>>> =
        Arc::new(Mutex::new((0..=secs).map(|_| Second::default()).collect()));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(conns)
        .build()?;
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (client, usccs, seconds, base, key, latencies) = (
            client.clone(),
            usccs.clone(),
            seconds.clone(),
            base.clone(),
            key.clone(),
            latencies.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = c * 7919;
            while Instant::now() < end {
                i = (i + 1) % usccs.len();
                let url = format!(
                    "{base}/v1/firms/{}/profile?purpose=credit_assessment",
                    usccs[i]
                );
                let t = Instant::now();
                let status = match client.get(&url).bearer_auth(&key).send().await {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0, // no answer (connection refused or timed out)
                };
                let took = t.elapsed();
                let at = (t - start).as_secs() as usize;
                if let Ok(mut l) = latencies.lock() {
                    l.push(took);
                }
                if let Ok(mut v) = seconds.lock() {
                    if let Some(s) = v.get_mut(at) {
                        *s.by_status.entry(status).or_default() += 1;
                        s.longest = s.longest.max(took);
                    }
                }
            }
        }));
    }
    // Print each second as it closes.
    let mut shown = 0;
    while shown < secs as usize {
        tokio::time::sleep_until((start + Duration::from_secs(shown as u64 + 1)).into()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok(v) = seconds.lock() {
            let s = &v[shown];
            let counts: Vec<String> = s
                .by_status
                .iter()
                .map(|(k, n)| {
                    format!(
                        "{}={n}",
                        if *k == 0 {
                            "none".into()
                        } else {
                            k.to_string()
                        }
                    )
                })
                .collect();
            println!(
                "t={:>3}s  {:<40}  longest {:>7.1} ms",
                shown,
                counts.join(" "),
                s.longest.as_secs_f64() * 1000.0
            );
        }
        shown += 1;
    }
    for t in tasks {
        t.await?;
    }
    let v = seconds.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let mut total: BTreeMap<u16, u64> = BTreeMap::new();
    let mut longest = Duration::ZERO;
    for s in v.iter() {
        for (k, n) in &s.by_status {
            *total.entry(*k).or_default() += n;
        }
        longest = longest.max(s.longest);
    }
    println!(
        "total {:?}  longest {:.1} ms",
        total,
        longest.as_secs_f64() * 1000.0
    );
    let mut all = latencies
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "latency p50 {:.1} ms  p99 {:.1} ms  p99.9 {:.1} ms over {} answers",
        pct(0.50),
        pct(0.99),
        pct(0.999),
        all.len()
    );
    println!("ok_200 {}", total.get(&200).copied().unwrap_or(0));
    Ok(())
}
