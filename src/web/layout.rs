//! What every page shares: the language and its messages, the frame (header, navigation, unread count),
//! the formats of money, rates and dates, redirects and cookies, and the pages that say something went
//! wrong.

use crate::api::AppState;
use crate::domain::Money;
use crate::service::{ServiceError, Violation};
use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use fluent_templates::Loader;
use maud::{html, Markup, DOCTYPE};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::HashMap;
use unic_langid::LanguageIdentifier;

/// The language chosen with the switch.
pub const LANG_COOKIE: &str = "credithub_lang";

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./src/web/locales",
        fallback_language: "zh-CN",
        // Plain text around arguments: no Unicode isolation marks in the HTML.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The page language: the switch's cookie, else `Accept-Language`, else Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn of(req: &HttpRequest) -> Lang {
        if let Some(c) = req.cookie(LANG_COOKIE) {
            return Lang::parse(c.value()).unwrap_or(Lang::Zh);
        }
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // The first language listed that we have.
        accept
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(|tag| Lang::parse(tag.trim()))
            .unwrap_or(Lang::Zh)
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        let t = tag.to_ascii_lowercase();
        if t.starts_with("zh") {
            Some(Lang::Zh)
        } else if t.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Zh => unic_langid::langid!("zh-CN"),
            Lang::En => unic_langid::langid!("en"),
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

/// The messages and formats of one language.
#[derive(Debug, Clone, Copy)]
pub struct T(pub Lang);

impl T {
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.0.id(), key)
    }

    /// The message, if the catalogue has it.
    pub fn try_t(&self, key: &str) -> Option<String> {
        LOCALES.try_lookup(&self.0.id(), key)
    }

    pub fn with(&self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, fluent_templates::fluent_bundle::FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), v.clone().into()))
            .collect();
        LOCALES.lookup_with_args(&self.0.id(), key, &map)
    }

    /// The words of a code (`prefix-code`), or the code itself where the catalogue has none.
    pub fn code(&self, prefix: &str, code: &str) -> String {
        self.try_t(&format!("{prefix}-{code}"))
            .unwrap_or_else(|| code.to_string())
    }

    /// Items as a list in words: `税务、社保` in Chinese, `Tax, Social insurance` in English.
    pub fn join(&self, items: impl IntoIterator<Item = String>) -> String {
        let sep = match self.0 {
            Lang::Zh => "、",
            Lang::En => ", ",
        };
        items.into_iter().collect::<Vec<_>>().join(sep)
    }

    /// Money as people write it: `¥1,234.56` (both languages use the yuan sign).
    pub fn money(&self, m: Money) -> String {
        let s = m.to_string();
        let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
        let (whole, fen) = s.split_once('.').unwrap_or((s, "00"));
        format!("{sign}¥{}.{fen}", thousands(whole))
    }

    /// A fraction as a percentage with two decimals (`0.0385` → `3.85%`).
    pub fn percent(&self, r: Decimal) -> String {
        format!("{:.2}%", (r * Decimal::ONE_HUNDRED).round_dp(2))
    }

    /// A calendar date: `2026年12月1日` in Chinese, `1 Dec 2026` in English.
    pub fn date(&self, d: NaiveDate) -> String {
        match self.0 {
            Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            Lang::En => d.format("%-d %b %Y").to_string(),
        }
    }

    /// An instant (stored in UTC) as a Beijing date and time to the minute.
    pub fn instant(&self, t: NaiveDateTime) -> String {
        let b = t + chrono::Duration::hours(8);
        format!("{} {}", self.date(b.date()), b.format("%H:%M"))
    }

    /// The words for a rule an input broke: the catalogue's (`rule-<id>`), else the service's own.
    pub fn violation(&self, v: &Violation) -> String {
        self.try_t(&format!("rule-{}", v.rule.replace('.', "_")))
            .unwrap_or_else(|| v.message.clone())
    }
}

/// What was typed where a percentage goes is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAPercent;

/// A percentage as people type it (`3.85`, `3.85%`) as the fraction the services take (`0.0385`); empty
/// is `None`.
pub fn fraction_of_percent(typed: &str) -> Result<Option<String>, NotAPercent> {
    let v = typed.trim().trim_end_matches('%').trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<Decimal>()
        .map(|d| Some((d / Decimal::ONE_HUNDRED).normalize().to_string()))
        .map_err(|_| NotAPercent)
}

/// A fraction as a percentage to put back in a field (`0.0385` → `3.85`).
pub fn percent_of_fraction(d: Decimal) -> String {
    (d * Decimal::ONE_HUNDRED).normalize().to_string()
}

/// An amount as people type it (`1,000,000`, `800000元`) as the plain decimal the services take.
pub fn plain_amount(typed: &str) -> String {
    typed.trim().replace([',', '，', ' '], "").replace('元', "")
}

/// `1234567` → `1,234,567`.
fn thousands(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A time as Beijing time, to the minute (`2026-12-01 09:30`).
pub fn beijing(t: NaiveDateTime) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Who the frame is drawn for: the signed-in person's form token, unread count and navigation.
pub struct Frame<'a> {
    pub csrf: &'a str,
    pub unread: i64,
    pub nav: Nav,
}

/// Whose navigation the frame shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Firm,
    Bank,
    Agency,
    Government,
}

impl Nav {
    pub fn of(m: &crate::service::accounts::Membership) -> Nav {
        use crate::service::{accounts::Membership, Actor};
        match m {
            Membership::Firm { .. } => Nav::Firm,
            Membership::Staff { actor } => match actor {
                Actor::Bank { .. } => Nav::Bank,
                Actor::Agency { .. } => Nav::Agency,
                Actor::Government { .. } | Actor::Admin | Actor::Firm { .. } => Nav::Government,
            },
        }
    }

    /// The links: (path, message key), and the label of the navigation.
    fn links(self) -> (&'static [(&'static str, &'static str)], &'static str) {
        match self {
            Nav::Firm => (FIRM_NAV, "nav-firm"),
            Nav::Bank => (BANK_NAV, "nav-bank"),
            Nav::Agency => (AGENCY_NAV, "nav-agency"),
            Nav::Government => (GOVERNMENT_NAV, "nav-government"),
        }
    }

    /// Where this person's pages start.
    pub fn home(self) -> &'static str {
        self.links().0[0].0
    }
}

/// The links of a firm's navigation: (path, message key).
const FIRM_NAV: &[(&str, &str)] = &[
    ("/", "nav-overview"),
    ("/firm/what-if", "nav-what-if"),
    ("/firm/offers", "nav-offers"),
    ("/firm/applications", "nav-applications"),
    ("/firm/loans", "nav-loans"),
    ("/firm/consents", "nav-consents"),
    ("/firm/access-log", "nav-access-log"),
    ("/firm/assets", "nav-assets"),
    ("/firm/remedies", "nav-remedies"),
];

/// A bank's credit officers.
const BANK_NAV: &[(&str, &str)] = &[
    ("/bank/applications", "nav-bank-applications"),
    ("/bank/products", "nav-bank-products"),
    ("/bank/queries", "nav-bank-queries"),
    ("/bank/bulk", "nav-bank-bulk"),
    ("/bank/subsidy-claims", "nav-bank-claims"),
];

/// A guarantee agency's back office.
const AGENCY_NAV: &[(&str, &str)] = &[
    ("/agency/contracts", "nav-agency-contracts"),
    ("/agency/contracts/upload", "nav-agency-upload"),
    ("/agency/batches", "nav-agency-batches"),
    ("/agency/metrics", "nav-agency-metrics"),
    ("/agency/rewards", "nav-agency-rewards"),
];

/// The government side.
const GOVERNMENT_NAV: &[(&str, &str)] = &[
    ("/gov/batches", "nav-gov-batches"),
    ("/gov/statistics", "nav-gov-statistics"),
    ("/gov/rewards", "nav-gov-rewards"),
    ("/gov/agencies", "nav-gov-agencies"),
    ("/gov/policies", "nav-gov-policies"),
    ("/gov/remedies", "nav-gov-remedies"),
    ("/gov/scorecards", "nav-gov-scorecards"),
    ("/gov/users", "nav-gov-users"),
];

/// A whole page: the header with the language switch and, signed in, the navigation, the unread count
/// and sign-out; then the body. `here` is the path of this page (marked as current).
pub fn page(t: &T, title: &str, here: &str, frame: Option<&Frame>, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang=(t.0.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t.t("app-name")) }
                link rel="stylesheet" href="/assets/site.css";
            }
            body {
                a.skip href="#main" { (t.t("skip-to-content")) }
                header {
                    a.name href="/" { (t.t("app-name")) }
                    nav.tools aria-label=(t.t("nav-tools")) {
                        a href={ "/language?to=" (t.0.other().code()) } lang=(t.0.other().code()) { (t.t("switch-language")) }
                        a href="/catalogue" aria-current=[(here == "/catalogue").then_some("page")] { (t.t("nav-catalogue")) }
                        a href="/docs/" { (t.t("api-docs")) }
                        @if let Some(f) = frame {
                            a href="/notifications" aria-current=[(here == "/notifications").then_some("page")] {
                                (t.t("nav-notifications"))
                                @if f.unread > 0 { " " span.badge aria-label=(t.with("unread-count", &[("count", f.unread.to_string())])) { (f.unread) } }
                            }
                            a href="/account" aria-current=[(here == "/account").then_some("page")] { (t.t("nav-account")) }
                            form.inline method="post" action="/sign-out" {
                                input type="hidden" name="csrf" value=(f.csrf);
                                button type="submit" { (t.t("sign-out")) }
                            }
                        }
                    }
                }
                @if let Some(f) = frame {
                    @let (links, label) = f.nav.links();
                    nav.sections aria-label=(t.t(label)) {
                        @for (href, key) in links {
                            a href=(href) aria-current=[(here == *href).then_some("page")] { (t.t(key)) }
                        }
                    }
                }
                main id="main" { (body) }
            }
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// The same page with another status.
pub fn with_status(mut r: HttpResponse, status: StatusCode) -> HttpResponse {
    *r.status_mut() = status;
    r
}

pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

pub fn cookie<'c>(
    state: &AppState,
    name: &'c str,
    value: String,
    age: Option<CookieAge>,
) -> Cookie<'c> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.web.secure_cookies)
        .finish();
    if let Some(a) = age {
        c.set_max_age(a);
    }
    c
}

/// The store cannot answer: 503 (logged).
pub fn unavailable(e: impl std::fmt::Display) -> actix_web::Error {
    tracing::error!(error = %e, "page: store unavailable");
    actix_web::error::ErrorServiceUnavailable(e.to_string())
}

/// A page that says what stands in the way, with the status the API would answer.
pub fn refusal(t: &T, frame: Option<&Frame>, e: ServiceError) -> actix_web::Result<HttpResponse> {
    let (status, key) = match &e {
        ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "error-not-found"),
        ServiceError::Forbidden(_) | ServiceError::Unauthenticated(_) => {
            (StatusCode::FORBIDDEN, "error-forbidden")
        }
        ServiceError::Conflict(_) => (StatusCode::CONFLICT, "error-conflict"),
        ServiceError::Invalid(_) | ServiceError::Unreadable(_) | ServiceError::Unsupported(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "error-invalid")
        }
        ServiceError::Store(_) | ServiceError::Cache(_) => return Err(unavailable(e)),
    };
    let detail = match &e {
        ServiceError::Invalid(v) => v
            .iter()
            .map(|v| t.violation(v))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    let body = html! {
        div.card {
            h1 { (t.t(key)) }
            p.alert role="alert" { (detail) }
            p { a href="/" { (t.t("back-home")) } }
        }
    };
    Ok(with_status(page(t, &t.t(key), "", frame, body), status))
}

/// The faults of a form, by field, in the page's language.
#[derive(Debug, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn of(t: &T, v: &[Violation]) -> FieldErrors {
        FieldErrors(
            v.iter()
                .map(|v| (v.field.clone(), t.violation(v)))
                .collect(),
        )
    }

    /// Whether a fault's field is `field` or a field inside it (`changes[0].months` in `changes`).
    fn within(f: &str, field: &str) -> bool {
        f == field
            || f.strip_prefix(field)
                .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
    }

    /// Every fault said about `field` (or a field inside it).
    pub fn get(&self, field: &str) -> Option<String> {
        let said: Vec<&str> = self
            .0
            .iter()
            .filter(|(f, _)| Self::within(f, field))
            .map(|(_, m)| m.as_str())
            .collect();
        (!said.is_empty()).then(|| said.join(" "))
    }

    /// Faults no field of the form shows.
    pub fn others(&self, shown: &[&str]) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.iter().any(|s| Self::within(f, s)))
            .map(|(_, m)| m.as_str())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A labelled input with its fault beside it (`aria-describedby` links the two).
pub fn field(label: &str, name: &str, kind: &str, value: &str, errors: &FieldErrors) -> Markup {
    let err = errors.get(name);
    let err_id = format!("{name}-error");
    html! {
        div.field {
            label for=(name) { (label) }
            input id=(name) name=(name) type=(kind) value=(value)
                aria-invalid=[err.as_ref().map(|_| "true")]
                aria-describedby=[err.as_ref().map(|_| err_id.as_str())];
            @if let Some(e) = &err { p.error id=(err_id) role="alert" { (e) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_rates_and_dates_read_as_people_write_them() {
        let zh = T(Lang::Zh);
        let en = T(Lang::En);
        assert_eq!(zh.money(Money::from_fen(123_456)), "¥1,234.56");
        assert_eq!(
            zh.money(Money::from_fen(100_000_000_000)),
            "¥1,000,000,000.00"
        );
        assert_eq!(zh.money(Money::from_fen(-5)), "-¥0.05");
        assert_eq!(zh.money(Money::from_fen(99_900)), "¥999.00");
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(zh.date(d), "2026年12月1日");
        assert_eq!(en.date(d), "1 Dec 2026");
        assert_eq!(zh.percent(Decimal::new(385, 4)), "3.85%");
        assert_eq!(zh.percent(Decimal::new(4, 3)), "0.40%");
    }

    #[test]
    fn percentages_and_amounts_read_as_people_type_them() {
        assert_eq!(fraction_of_percent("3.85"), Ok(Some("0.0385".into())));
        assert_eq!(fraction_of_percent(" 50% "), Ok(Some("0.5".into())));
        assert_eq!(fraction_of_percent(""), Ok(None));
        assert_eq!(fraction_of_percent("half"), Err(NotAPercent));
        assert_eq!(percent_of_fraction(Decimal::new(550, 4)), "5.5");
        assert_eq!(plain_amount("1,000,000元"), "1000000");
        assert_eq!(plain_amount(" 800，000 "), "800000");
    }

    #[test]
    fn field_faults_are_found_by_their_field_and_its_parts() {
        let t = T(Lang::En);
        let v = vec![
            Violation::new("amount", "money.positive", "amount must be above zero"),
            Violation::new("changes[0].months", "range", "months must be 1 to 24"),
        ];
        let e = FieldErrors::of(&t, &v);
        assert!(e.get("amount").is_some());
        assert!(e.get("changes").is_some());
        assert!(e.get("term").is_none());
        assert_eq!(e.others(&["amount"]).len(), 1);
    }
}
