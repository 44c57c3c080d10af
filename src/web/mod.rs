//! The pages (issue 16), server-rendered by the same binary on the application layer: every page reads
//! and writes through `service/`, never through HTTP to itself. Templates are `maud` (checked when the
//! crate compiles); every string comes from the Fluent catalogues in `src/web/locales` (Simplified
//! Chinese first, English by a switch); the stylesheet is embedded and served with cache headers. Every
//! page works without JavaScript: plain forms, redirect after POST, CSRF tokens on every form (the
//! session's once signed in; before that a double-submit cookie).
//!
//! `layout` (frame, language, formats), `session` (who is signed in, form tokens, owner or member),
//! `auth` (sign-in, activation, account, language switch, stylesheet), and one module per page area:
//! `overview` (with `chart`), `what_if`, `offers` (and the public catalogue, with `words`),
//! `applications` (apply, my applications, my loans), `consents`, `access_log`, `assets` (receivables
//! and IP), `notifications`; and for the institutions (issue 17): `agency` (contracts, ledger upload,
//! claim batches, with `upload` for files sent from a form), `claims` (a batch's reconciliation, shared
//! by the agency and the government), `bank` (the inbox and decisions) and `government` (batches awaiting
//! approval, people's accounts).

pub mod access_log;
pub mod agency;
pub mod applications;
pub mod assets;
pub mod auth;
pub mod bank;
pub mod chart;
pub mod claims;
pub mod consents;
pub mod figures;
pub mod government;
pub mod layout;
pub mod notifications;
pub mod offers;
pub mod overview;
pub mod policies;
pub mod products;
pub mod remedies;
pub mod rewards;
pub mod scorecards;
pub mod session;
pub mod statistics;
pub mod upload;
pub mod what_if;
pub mod words;

pub use layout::{Lang, LANG_COOKIE};
pub use session::{CSRF_COOKIE, SESSION_COOKIE};

use actix_web::web;

/// How the pages set their cookies.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct WebConfig {
    /// Mark cookies `Secure` (serve behind TLS).
    #[arg(long, env = "CREDITHUB_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

/// Register the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(overview::home)
        .service(auth::sign_in)
        .service(auth::sign_out)
        .service(auth::activation)
        .service(auth::activate)
        .service(auth::account_page)
        .service(auth::language)
        .service(auth::stylesheet)
        .service(what_if::what_if)
        .service(offers::offers_page)
        .service(offers::catalogue)
        .service(applications::apply_form)
        .service(applications::apply)
        .service(applications::list)
        .service(applications::detail)
        .service(applications::withdraw)
        .service(applications::loans)
        .service(consents::list)
        .service(consents::grant)
        .service(consents::revoke_confirm)
        .service(consents::revoke)
        .service(consents::confirm)
        .service(consents::refuse)
        .service(access_log::log_page)
        .service(assets::page)
        .service(assets::register_receivable)
        .service(assets::confirm)
        .service(assets::dispute)
        .service(assets::register_ip)
        .service(remedies::firm_page)
        .service(remedies::apply)
        .service(remedies::dispute)
        .service(remedies::firm_detail)
        .service(remedies::firm_file)
        .service(remedies::gov_queue)
        .service(remedies::gov_detail)
        .service(remedies::gov_file)
        .service(remedies::act)
        .service(scorecards::page)
        .service(scorecards::fit)
        .service(scorecards::promote)
        .service(notifications::inbox)
        .service(notifications::read_all)
        // Institutions (issue 17). The fixed paths come before the ones with a parameter in their place.
        .service(agency::contracts)
        .service(agency::upload_form)
        .service(agency::upload_contracts)
        .service(agency::end_contract)
        .service(agency::batches)
        .service(agency::file_batch)
        .service(agency::bank_batches)
        .service(agency::bank_file_batch)
        .service(agency::metrics)
        .service(claims::download)
        .service(claims::batch_page)
        .service(claims::move_batch)
        .service(government::queue)
        .service(statistics::dashboard)
        .service(statistics::download)
        .service(statistics::yearly)
        .service(statistics::loans)
        .service(government::agencies)
        .service(rewards::agency_rewards)
        .service(rewards::claim)
        .service(rewards::gov_rewards)
        .service(rewards::move_claim)
        .service(policies::list)
        .service(policies::publish)
        .service(government::users)
        .service(government::create)
        .service(government::reset)
        .service(government::suspend)
        .service(products::list)
        .service(products::new_form)
        .service(products::edit_form)
        .service(products::publish)
        .service(products::withdraw)
        .service(products::save)
        .service(bank::inbox)
        .service(bank::queries)
        .service(bank::bulk_form)
        .service(bank::bulk)
        .service(bank::application)
        .service(bank::act);
}

#[cfg(test)]
mod tests {
    use super::layout::T;
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages() {
        let zh = concat!(
            include_str!("locales/zh-CN/main.ftl"),
            "\n",
            include_str!("locales/zh-CN/institutions.ftl")
        );
        let en = concat!(
            include_str!("locales/en/main.ftl"),
            "\n",
            include_str!("locales/en/institutions.ftl")
        );
        let keys = |s: &str| {
            let mut k: Vec<String> = s
                .lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
                .collect();
            k.sort();
            k
        };
        assert_eq!(keys(zh), keys(en));
        let all = keys(zh);
        let mut once = all.clone();
        once.dedup();
        assert_eq!(all.len(), once.len(), "a message is defined twice");
        // Every message a page asks for by name is in the catalogues.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let code = std::fs::read_to_string(&path).unwrap();
            for pat in [".t(\"", ".with(\"", "StatusCode::FORBIDDEN, \""] {
                for (i, _) in code.match_indices(pat) {
                    let rest = &code[i + pat.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    assert!(
                        once.binary_search(&key.to_string()).is_ok(),
                        "{}: no message '{key}'",
                        path.display()
                    );
                }
            }
        }
        assert_eq!(T(Lang::Zh).t("sign-in"), "登录");
        assert_eq!(
            T(Lang::En).with("hello", &[("name", "Li".into())]),
            "Hello, Li"
        );
    }

    #[test]
    fn the_language_switch_redirects_only_within_the_site() {
        use auth::url_path;
        assert_eq!(
            url_path("http://127.0.0.1:8080/firm?x=1").as_deref(),
            Some("/firm?x=1")
        );
        assert_eq!(url_path("https://evil.example//x"), None);
        assert_eq!(url_path("https://evil.example"), None);
        assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
