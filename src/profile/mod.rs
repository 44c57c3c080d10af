//! Credit profiles: a firm's current signals → indicators → scorecard → a versioned snapshot, stored and
//! put in the cache. A recompute that changes nothing stores nothing.

use crate::cache::SharedCache;
use crate::clock::system::now;
use crate::domain::features::{self, EventObs, FirmFacts, Indicators, Obs, Section};
use crate::domain::month::Month;
use crate::domain::scorecard::{Scorecard, Scored};
use crate::domain::signals::kind;
use crate::domain::what_if::{self, Change};
use crate::store::profiles::{self, ObsRow, ProfileRow};
use crate::store::{Db, DbConn, StoreError};
use futures_util::{stream, StreamExt};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// Firms per unit of recompute work (one read, one write transaction).
pub const CHUNK: usize = 500;

use crate::cache::keys::profile as cache_key;

/// Turn stored signal rows into what the indicators read; rows of unknown kinds are skipped.
pub fn to_obs(row: ObsRow) -> Option<(String, Obs)> {
    let spec = kind(&row.kind)?;
    let num = match (row.value_fen, &row.value_num) {
        (Some(f), _) => Some(Decimal::new(f, 2)),
        (None, Some(n)) => n.parse().ok(),
        _ => None,
    };
    let event = row.event_start.map(|start| EventObs {
        record_id: row.record_id.clone().unwrap_or_default(),
        start,
        end: row.event_end,
        repaired_on: row.repaired_on,
    });
    Some((
        row.uscc,
        Obs {
            kind: spec.key,
            period: row.period,
            num,
            code: row.value_code,
            event,
        },
    ))
}

/// What profiles as of `from..=to` read: per kind group the first month its lookback reaches, the first
/// grade year, and the last month.
fn window(from: Month, to: Month) -> (Vec<(&'static [&'static str], String)>, String, String) {
    let groups = features::LOOKBACK
        .iter()
        .map(|(kinds, n)| (*kinds, from.plus(1 - n).to_string()))
        .collect();
    (
        groups,
        (from.year() - features::GRADE_LOOKBACK_YEARS).to_string(),
        to.to_string(),
    )
}

/// Load one firm's inputs for profiles as of `as_of`.
pub fn load_firm(
    conn: &mut DbConn,
    uscc: &str,
    as_of: Month,
) -> Result<Option<(FirmFacts, Vec<Obs>)>, StoreError> {
    let firms = [uscc.to_string()];
    let Some((_, established_on, size_class)) = profiles::firm_facts(conn, &firms)?.pop() else {
        return Ok(None);
    };
    let (groups, from_year, to) = window(as_of, as_of);
    let obs = profiles::inputs(conn, &firms, &groups, &from_year, &to)?
        .into_iter()
        .filter_map(to_obs)
        .map(|(_, o)| o)
        .collect();
    Ok(Some((
        FirmFacts {
            established_on,
            size_class,
        },
        obs,
    )))
}

/// Same inputs, same card, same open disputes → same fingerprint (a firm without disputes keeps the
/// fingerprint it had before disputes existed).
pub fn fingerprint(ind: &Indicators, scored: &Scored, disputed: &[Value]) -> String {
    let text = if disputed.is_empty() {
        serde_json::to_vec(&(ind, scored))
    } else {
        serde_json::to_vec(&(ind, scored, disputed))
    }
    .unwrap_or_default();
    hex::encode(Sha256::digest(&text))
}

/// Art 58 (issue 21): on a successful repair "evaluations are updated" at once. The newest profile (as
/// of the last complete month) therefore reads every repair decided up to `today` as in force at the
/// month's end; earlier months keep the repair's own date, so history still shows the record counting
/// until it was repaired. Borrowed as it is when no repair falls after the month.
fn with_known_repairs<'a>(
    obs: &'a [Obs],
    month: Month,
    today: chrono::NaiveDate,
) -> std::borrow::Cow<'a, [Obs]> {
    let end = month.last_day();
    let late = |o: &Obs| {
        o.event
            .as_ref()
            .and_then(|e| e.repaired_on)
            .is_some_and(|r| r > end && r <= today)
    };
    if !obs.iter().any(late) {
        return std::borrow::Cow::Borrowed(obs);
    }
    std::borrow::Cow::Owned(
        obs.iter()
            .map(|o| {
                let mut o = o.clone();
                if late(&o) {
                    if let Some(e) = o.event.as_mut() {
                        e.repaired_on = Some(end);
                    }
                }
                o
            })
            .collect(),
    )
}

/// The records a firm disputes while the department has not decided (Art 58, issue 21): shown on the
/// profile, the score unchanged.
fn disputed_marks(
    conn: &mut DbConn,
    usccs: &[String],
) -> Result<HashMap<String, Vec<Value>>, StoreError> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for r in crate::store::remedies::open_disputes(conn, usccs)? {
        out.entry(r.firm_uscc.clone()).or_default().push(json!({
            "dispute_id": r.id,
            "section": r.source,
            "kind": r.signal_kind,
            "period": r.period,
            "record_id": r.record_id,
            "since": crate::domain::rfc3339(r.submitted_at),
        }));
    }
    Ok(out)
}

/// The profile as served: score, grade, reasons, and per section its indicators with their points.
pub fn render(
    uscc: &str,
    ind: &Indicators,
    scored: &Scored,
    meta: Option<(&ProfileMeta, i32)>,
    disputed: &[Value],
) -> Value {
    let points: HashMap<&str, (i32, i32)> = scored
        .contributions
        .iter()
        .map(|c| (c.indicator.as_str(), (c.points, c.max_points)))
        .collect();
    let section_of = |key: &str| features::indicator_spec(key).map(|(_, s, _)| s.as_str());
    let mut sections = serde_json::Map::new();
    for section in Section::ALL {
        let list: Vec<&features::Indicator> =
            ind.list.iter().filter(|i| i.section == section).collect();
        let coverage = if list
            .iter()
            .all(|i| i.coverage == features::Coverage::Missing)
        {
            "missing"
        } else if list.iter().all(|i| i.coverage == features::Coverage::Full) {
            "full"
        } else {
            "partial"
        };
        let indicators: Vec<Value> = list
            .iter()
            .map(|i| {
                let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
                if let (Some(obj), Some((p, max))) = (v.as_object_mut(), points.get(i.key)) {
                    obj.insert("points".into(), json!(p));
                    obj.insert("max_points".into(), json!(max));
                }
                v
            })
            .collect();
        sections.insert(
            section.as_str().into(),
            json!({ "coverage": coverage, "indicators": indicators }),
        );
    }
    let reasons: Vec<Value> = scored
        .reasons
        .iter()
        .map(|r| {
            json!({
                "code": r.code,
                "section": section_of(&r.indicator),
                "indicator": r.indicator,
                "points_lost": r.points_lost,
                "zh": r.zh,
                "en": r.en,
            })
        })
        .collect();
    let mut out = json!({
        "uscc": uscc,
        "as_of": ind.as_of,
        "scorecard_version": scored.scorecard_version,
        "score": scored.score,
        "grade": scored.grade,
        "points": scored.points,
        "reasons": reasons,
        "sections": sections,
    });
    if let (false, Some(obj)) = (disputed.is_empty(), out.as_object_mut()) {
        obj.insert("disputed".into(), Value::from(disputed.to_vec()));
    }
    if let (Some((meta, version)), Some(obj)) = (meta, out.as_object_mut()) {
        obj.insert("version".into(), json!(version));
        obj.insert("cause".into(), json!(meta.cause));
        obj.insert("computed_at".into(), json!(crate::domain::rfc3339(meta.at)));
    }
    out
}

/// Why and when a batch of snapshots was computed.
#[derive(Debug, Clone)]
pub struct ProfileMeta {
    /// `recompute`, `ingestion:<run id>`, …
    pub cause: String,
    pub at: chrono::NaiveDateTime,
}

/// What one chunk of work did.
#[derive(Debug, Default)]
struct ChunkOutcome {
    stored: u64,
    unchanged: u64,
    /// Firm → its new newest snapshot, when this work changed which snapshot is newest.
    newest: Vec<(String, Vec<u8>)>,
}

fn recompute_chunk(
    conn: &mut DbConn,
    card: &Scorecard,
    challengers: &[Arc<Scorecard>],
    usccs: &[String],
    months: &[Month],
    meta: &ProfileMeta,
) -> Result<ChunkOutcome, StoreError> {
    let (first, last) = (months[0], months[months.len() - 1]);
    let (groups, from_year, to) = window(first, last);
    let facts = profiles::firm_facts(conn, usccs)?;
    let disputes = disputed_marks(conn, usccs)?;
    let mut obs: HashMap<String, Vec<Obs>> = HashMap::with_capacity(usccs.len());
    for (u, o) in profiles::inputs(conn, usccs, &groups, &from_year, &to)?
        .into_iter()
        .filter_map(to_obs)
    {
        obs.entry(u).or_default().push(o);
    }
    let month_keys: Vec<String> = months.iter().map(Month::to_string).collect();
    let today = crate::clock::system::today_cst();
    let newest_month = Month::last_complete(today);
    crate::store::backend::write_transaction(conn, |c| {
        profiles::lock_firms(c, usccs)?;
        let mut heads = profiles::heads(c, usccs)?;
        let prints = profiles::fingerprints(c, usccs, &month_keys)?;
        let mut out = ChunkOutcome::default();
        let mut rows = Vec::new();
        let mut shadows = Vec::new();
        let empty = Vec::new();
        for (uscc, established_on, size_class) in facts {
            let firm = FirmFacts {
                established_on,
                size_class,
            };
            let firm_obs = obs.get(&uscc).unwrap_or(&empty);
            let marks = disputes.get(&uscc).map_or(&[][..], Vec::as_slice);
            let mut newest: Option<Vec<u8>> = None;
            for (m, key) in months.iter().zip(&month_keys) {
                let ind = if *m == newest_month {
                    features::compute(&firm, &with_known_repairs(firm_obs, *m, today), *m)
                } else {
                    features::compute(&firm, firm_obs, *m)
                };
                let scored = card.score(&ind);
                // Challengers score the same indicators in shadow (issue 19): stored apart, never
                // in the profile a bank reads.
                for ch in challengers {
                    let s = ch.score(&ind);
                    shadows.push(crate::store::scorecards::ShadowRow {
                        uscc: uscc.clone(),
                        as_of: key.clone(),
                        scorecard_version: s.scorecard_version,
                        score: s.score,
                        grade: s.grade.to_string(),
                        computed_at: meta.at,
                    });
                }
                let print = fingerprint(&ind, &scored, marks);
                if prints.get(&(uscc.clone(), key.clone())) == Some(&print) {
                    out.unchanged += 1;
                    continue;
                }
                let head = heads.entry(uscc.clone()).or_insert((0, String::new()));
                head.0 += 1;
                let body = render(&uscc, &ind, &scored, Some((meta, head.0)), marks).to_string();
                if *key >= head.1 {
                    head.1 = key.clone();
                    newest = Some(body.clone().into_bytes());
                }
                rows.push(ProfileRow {
                    uscc: uscc.clone(),
                    version: head.0,
                    as_of: key.clone(),
                    scorecard_version: scored.scorecard_version,
                    score: scored.score,
                    grade: scored.grade.to_string(),
                    fingerprint: print,
                    cause: meta.cause.clone(),
                    body,
                    computed_at: meta.at,
                });
                out.stored += 1;
            }
            if let Some(b) = newest {
                out.newest.push((uscc, b));
            }
        }
        profiles::insert(c, &rows)?;
        let versions: Vec<String> = challengers.iter().map(|c| c.version.clone()).collect();
        crate::store::scorecards::replace_shadows(c, usccs, &month_keys, &versions, &shadows)?;
        Ok(out)
    })
}

/// The indicators of each (firm, month) as they stood at the month's end, from the stored signals
/// (what a profile as of that month read): the features of loans at their decision (issue 19).
pub fn indicators_at(
    conn: &mut DbConn,
    cases: &[(String, Month)],
) -> Result<HashMap<(String, Month), Indicators>, StoreError> {
    let mut by_firm: BTreeMap<&str, Vec<Month>> = BTreeMap::new();
    for (u, m) in cases {
        by_firm.entry(u.as_str()).or_default().push(*m);
    }
    let firms: Vec<&str> = by_firm.keys().copied().collect();
    let mut out = HashMap::with_capacity(cases.len());
    for chunk in firms.chunks(CHUNK) {
        let usccs: Vec<String> = chunk.iter().map(|u| u.to_string()).collect();
        let months: Vec<Month> = chunk
            .iter()
            .flat_map(|u| by_firm[u].iter().copied())
            .collect();
        let (Some(first), Some(last)) = (months.iter().min(), months.iter().max()) else {
            continue;
        };
        let (groups, from_year, to) = window(*first, *last);
        let mut obs: HashMap<String, Vec<Obs>> = HashMap::new();
        for (u, o) in profiles::inputs(conn, &usccs, &groups, &from_year, &to)?
            .into_iter()
            .filter_map(to_obs)
        {
            obs.entry(u).or_default().push(o);
        }
        let empty = Vec::new();
        for (uscc, established_on, size_class) in profiles::firm_facts(conn, &usccs)? {
            let firm = FirmFacts {
                established_on,
                size_class,
            };
            let firm_obs = obs.get(&uscc).unwrap_or(&empty);
            for m in &by_firm[uscc.as_str()] {
                out.insert((uscc.clone(), *m), features::compute(&firm, firm_obs, *m));
            }
        }
    }
    Ok(out)
}

/// The cards in force: the champion profiles use and the challengers scored in shadow.
#[derive(Clone)]
pub struct LiveCards {
    pub champion: Arc<Scorecard>,
    pub challengers: Vec<Arc<Scorecard>>,
}

/// What a recompute did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RecomputeReport {
    pub firms: u64,
    pub months: u64,
    pub stored: u64,
    pub unchanged: u64,
}

/// The profile service: the card in force, the database and the cache.
#[derive(Clone)]
pub struct Profiles {
    pub db: Db,
    pub cache: SharedCache,
    pub card: Arc<Scorecard>,
    pub cache_ttl: Duration,
    /// Put recomputed profiles into the cache. A command-line process with only an in-process cache
    /// turns this off: nobody would read them there.
    pub cache_writes: bool,
    /// Registered cards parsed once, by version.
    pub parsed: Arc<std::sync::Mutex<HashMap<String, Arc<Scorecard>>>>,
}

impl Profiles {
    /// The profile service over `db` and `cache`, scoring with `card` until the registry names a
    /// champion.
    pub fn new(
        db: Db,
        cache: SharedCache,
        card: Scorecard,
        cache_ttl: Duration,
        cache_writes: bool,
    ) -> Profiles {
        Profiles {
            db,
            cache,
            card: Arc::new(card),
            cache_ttl,
            cache_writes,
            parsed: Arc::default(),
        }
    }

    /// A registered card's body, parsed (once per version).
    pub fn parse_card(&self, version: &str, body: &str) -> Option<Arc<Scorecard>> {
        if let Some(c) = self
            .parsed
            .lock()
            .ok()
            .and_then(|m| m.get(version).cloned())
        {
            return Some(c);
        }
        match Scorecard::parse(body) {
            Ok(card) => {
                let card = Arc::new(card);
                if let Ok(mut m) = self.parsed.lock() {
                    m.insert(version.to_string(), card.clone());
                }
                Some(card)
            }
            Err(e) => {
                tracing::error!(version, error = %e, "a registered scorecard no longer parses; skipped");
                None
            }
        }
    }

    /// The champion and challengers from the registry (every instance reads the same, so a promotion
    /// reaches all of them); the configured card when nothing is registered.
    pub async fn cards(&self) -> Result<LiveCards, StoreError> {
        let rows = self.db.run(crate::store::scorecards::live).await?;
        let mut live = LiveCards {
            champion: self.card.clone(),
            challengers: Vec::new(),
        };
        for r in rows {
            let Some(card) = self.parse_card(&r.version, &r.body) else {
                continue;
            };
            if r.role == "champion" {
                live.champion = card;
            } else {
                live.challengers.push(card);
            }
        }
        Ok(live)
    }

    /// Recompute the profiles of `usccs` as of each of `months` (oldest first), storing a new snapshot
    /// where anything changed and putting each firm's newest snapshot in the cache after its commit.
    /// `progress(firms_done)` is told after each chunk.
    pub async fn recompute(
        &self,
        usccs: Vec<String>,
        mut months: Vec<Month>,
        cause: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<RecomputeReport, StoreError> {
        months.sort();
        months.dedup();
        let mut report = RecomputeReport {
            months: months.len() as u64,
            ..Default::default()
        };
        if months.is_empty() || usccs.is_empty() {
            return Ok(report);
        }
        let meta = ProfileMeta {
            cause: cause.to_string(),
            at: now(),
        };
        let months = Arc::new(months);
        let live = self.cards().await?;
        let parallel = (self.db.max_connections() as usize).clamp(1, 4);
        let chunks: Vec<Vec<String>> = usccs.chunks(CHUNK).map(<[String]>::to_vec).collect();
        let mut work = stream::iter(chunks.into_iter().map(|chunk| {
            let (card, months, meta) = (live.champion.clone(), months.clone(), meta.clone());
            let challengers = live.challengers.clone();
            let n = chunk.len() as u64;
            let db = self.db.clone();
            async move {
                let out = db
                    .run(move |c| recompute_chunk(c, &card, &challengers, &chunk, &months, &meta))
                    .await?;
                Ok::<_, StoreError>((n, out))
            }
        }))
        .buffer_unordered(parallel);
        while let Some(done) = work.next().await {
            let (n, out) = done?;
            for (uscc, body) in out.newest.iter().filter(|_| self.cache_writes) {
                // Write-through after the commit: readers fill only empty keys, so they never put an
                // older snapshot over this one.
                if let Err(e) = self.cache.set(&cache_key(uscc), body, self.cache_ttl).await {
                    tracing::warn!(error = %e, uscc, "profile cache not updated; deleting");
                    let _ = self.cache.delete(&cache_key(uscc)).await;
                }
            }
            report.firms += n;
            report.stored += out.stored;
            report.unchanged += out.unchanged;
            progress(report.firms);
        }
        Ok(report)
    }

    /// The newest profile, as served (cache first).
    pub async fn latest(&self, uscc: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let cached = match self.cache.get(&cache_key(uscc)).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "profile cache unavailable; reading the database");
                None
            }
        };
        self.latest_from(uscc, cached).await
    }

    /// As [`Profiles::latest`], given what the cache held under [`cache_key`] (read by the caller
    /// together with other keys).
    pub async fn latest_from(
        &self,
        uscc: &str,
        cached: Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if cached.is_some() {
            return Ok(cached);
        }
        let key = cache_key(uscc);
        let u = uscc.to_string();
        let row = self.db.run(move |c| profiles::current(c, &u, None)).await?;
        let Some(row) = row else { return Ok(None) };
        let body = row.body.into_bytes();
        if let Err(e) = self.cache.set_if_absent(&key, &body, self.cache_ttl).await {
            tracing::warn!(error = %e, "profile cache not filled");
        }
        Ok(Some(body))
    }

    /// What-if: score the firm's signals as they are and with `changes`, as of `as_of`; stores nothing.
    pub async fn what_if(
        &self,
        uscc: &str,
        as_of: Month,
        changes: Vec<Change>,
    ) -> Result<Option<WhatIf>, StoreError> {
        let u = uscc.to_string();
        // The firm's inputs and the champion in one round trip (the offers page asks four what-ifs).
        let (firm, champion) = self
            .db
            .run(move |c| {
                Ok((
                    load_firm(c, &u, as_of)?,
                    crate::store::scorecards::champion(c)?,
                ))
            })
            .await?;
        let Some((facts, obs)) = firm else {
            return Ok(None);
        };
        let before = features::compute(&facts, &obs, as_of);
        let after = features::compute(&facts, &what_if::apply(&obs, &changes, as_of), as_of);
        let card = champion
            .and_then(|r| self.parse_card(&r.version, &r.body))
            .unwrap_or_else(|| self.card.clone());
        let (sb, sa) = (card.score(&before), card.score(&after));
        let changed = before
            .list
            .iter()
            .zip(&after.list)
            .filter(|(b, a)| b.value != a.value)
            .map(|(b, a)| (b.key, (b.value.clone(), a.value.clone())))
            .collect();
        Ok(Some(WhatIf {
            before: render(uscc, &before, &sb, None, &[]),
            after: render(uscc, &after, &sa, None, &[]),
            score_change: sa.score - sb.score,
            changed,
        }))
    }
}

pub struct WhatIf {
    pub before: Value,
    pub after: Value,
    pub score_change: i32,
    pub changed: BTreeMap<
        &'static str,
        (
            Option<features::IndicatorValue>,
            Option<features::IndicatorValue>,
        ),
    >,
}
