//! The HTTP API (actix-web): state, routes, the OpenAPI document and the offline docs page.

pub mod access_log;
pub mod applications;
pub mod assets;
pub mod auth;
pub mod classify;
pub mod consents;
pub mod contract;
pub mod error;
pub mod extract;
pub mod firms;
pub mod guarantees;
pub mod health;
pub mod institutions;
pub mod keys;
pub mod middleware;
pub mod notifications;
pub mod products;
pub mod profiles;
pub mod remedies;
pub mod reports;
pub mod scorecards;
pub mod signals;
pub mod upload;
pub mod uscc;

use crate::audit::Audit;
use crate::cache::SharedCache;
use crate::profile::Profiles;
use crate::store::Db;
use actix_web::{dev::Server, middleware::from_fn, web, App, HttpServer};
use contract::Problems;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// What every handler can reach.
pub struct AppState {
    /// What the application layer's operations reach (database, cache, clock, catalogue, profiles, the
    /// access log): one per server, lent to every request.
    pub ctx: crate::service::Context,
    pub metrics: middleware::Metrics,
    /// Default per-key limits where an institution has none of its own.
    pub limits: DefaultLimits,
    /// JSON and upload limits.
    pub body_limits: crate::config::BodyLimits,
    /// Places for uploads being read at once.
    pub uploads: std::sync::Arc<tokio::sync::Semaphore>,
    /// How the pages set their cookies.
    pub web: crate::web::WebConfig,
}

/// `state.db`, `state.clock`, … are the context's.
impl std::ops::Deref for AppState {
    type Target = crate::service::Context;
    fn deref(&self) -> &crate::service::Context {
        &self.ctx
    }
}

/// A list answer: `{"items": [...]}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// A page of a list: its items and the cursor to the next page (none on the last).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct DefaultLimits {
    pub per_sec: u32,
    pub burst: u32,
}

impl AppState {
    /// Starts the access-log writer thread.
    pub fn new(
        db: Db,
        cache: SharedCache,
        profiles: Profiles,
        limits: DefaultLimits,
    ) -> std::io::Result<Self> {
        Ok(AppState {
            ctx: crate::service::Context {
                audit: Audit::start(db.clone())?,
                db,
                cache,
                clock: Default::default(),
                catalogue: Default::default(),
                profiles,
                watch: Default::default(),
            },
            metrics: Default::default(),
            limits,
            body_limits: Default::default(),
            uploads: std::sync::Arc::new(tokio::sync::Semaphore::new(
                crate::config::BodyLimits::default().max_uploads,
            )),
            web: Default::default(),
        })
    }

    /// What the application layer's operations reach (borrowed: nothing is cloned per request).
    pub fn ctx(&self) -> &crate::service::Context {
        &self.ctx
    }

    /// Reading this clock.
    pub fn with_clock(mut self, clock: crate::clock::Clock) -> Self {
        self.ctx.clock = clock;
        self
    }

    /// Setting cookies this way.
    pub fn with_web(mut self, web: crate::web::WebConfig) -> Self {
        self.web = web;
        self
    }

    /// With these body limits (and as many upload places as they allow).
    pub fn with_body_limits(mut self, limits: crate::config::BodyLimits) -> Self {
        self.uploads = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_uploads.max(1)));
        self.body_limits = limits;
        self
    }
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "credithub", description = "Financing-match and credit data hub for SMEs (Shanghai SME Promotion Regulations, Art 26-28, 58). Errors are RFC 9457 problem+json."),
    paths(
        health::healthz, health::readyz, health::metrics,
        uscc::check_uscc, classify::classify_route,
        firms::create_firm, firms::get_firm, firms::patch_firm, firms::list_firms,
        keys::list_keys, keys::revoke_key,
        signals::post_signals, signals::import_signals, signals::list_runs, signals::get_run, signals::list_rejects,
        signals::firm_signals,
        profiles::get_profile, profiles::profile_history, profiles::what_if, profiles::bulk_query,
        consents::create_consent, consents::list_consents, consents::get_consent, consents::revoke_consent, consents::confirm_consent, consents::refuse_consent,
        access_log::firm_access_log, access_log::access_log,
        notifications::list_notifications, notifications::mark_read,
        institutions::list_institutions, institutions::set_limits,
        products::create_product, products::update_product, products::withdraw_product,
        products::list_products, products::get_product, products::firm_matches,
        assets::create_receivable, assets::list_receivables, assets::confirm_receivable,
        assets::dispute_receivable, assets::debtor_latency, assets::create_ip_asset, assets::list_ip_assets,
        assets::set_designations, assets::report_loan, assets::list_loans, assets::firm_loans, assets::firm_guarantees,
        applications::create_application, applications::list_applications, applications::get_application,
        applications::decide, applications::withdraw, applications::disburse, applications::repay,
        applications::default,
        guarantees::create_guarantees, guarantees::list_guarantees, guarantees::release, guarantees::call_guarantee,
        guarantees::create_policy, guarantees::list_policies, guarantees::get_policy, guarantees::policy_budget, guarantees::submit_claims, guarantees::list_claims,
        guarantees::reconciliation, guarantees::approve, guarantees::paid, guarantees::withdraw_batch, guarantees::claim_reward, guarantees::list_reward_claims, guarantees::move_reward_claim,
        guarantees::report_net_assets, guarantees::metrics, guarantees::agency_reward,
        assets::report_balance, assets::pay_receivable, reports::statistics, reports::yearly,
        remedies::apply_repair, remedies::open_dispute, remedies::list_remedies, remedies::remedies_overview,
        remedies::firm_records, remedies::get_remedy, remedies::add_remedy_file, remedies::get_remedy_file,
        remedies::accept_remedy, remedies::decide_remedy, remedies::set_remit, remedies::get_remit,
        remedies::monitoring_events,
        firms::firm_eligibility, firms::firm_declarations, firms::decide_declaration,
        scorecards::list_scorecards, scorecards::register_scorecard, scorecards::fit_scorecard,
        scorecards::promote_scorecard, scorecards::scorecard_validation, scorecards::scorecard_monitoring,
    ),
    components(schemas(error::Problem, error::FieldError, crate::domain::states::RemedyKind, crate::domain::states::RemedyStatus)),
    modifiers(&BearerAuth, &Problems),
)]
pub struct ApiDoc;

/// Register every route; used by the server and by the tests' in-process app.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(uscc::check_uscc)
        .service(classify::classify_route)
        .service(firms::create_firm)
        .service(firms::list_firms)
        .service(firms::get_firm)
        .service(firms::patch_firm)
        .service(keys::list_keys)
        .service(keys::revoke_key)
        .service(signals::post_signals)
        .service(signals::import_signals)
        .service(signals::list_runs)
        .service(signals::get_run)
        .service(signals::list_rejects)
        .service(signals::firm_signals)
        .service(profiles::profile_history)
        .service(profiles::what_if)
        .service(profiles::get_profile)
        .service(profiles::bulk_query)
        .service(consents::create_consent)
        .service(consents::list_consents)
        .service(consents::get_consent)
        .service(consents::revoke_consent)
        .service(consents::confirm_consent)
        .service(consents::refuse_consent)
        .service(access_log::firm_access_log)
        .service(access_log::access_log)
        .service(notifications::list_notifications)
        .service(notifications::mark_read)
        .service(institutions::list_institutions)
        .service(institutions::set_limits)
        .service(products::create_product)
        .service(products::list_products)
        .service(products::get_product)
        .service(products::update_product)
        .service(products::withdraw_product)
        .service(products::firm_matches)
        .service(assets::create_receivable)
        .service(assets::list_receivables)
        .service(assets::confirm_receivable)
        .service(assets::dispute_receivable)
        .service(assets::debtor_latency)
        .service(assets::create_ip_asset)
        .service(assets::list_ip_assets)
        .service(assets::set_designations)
        .service(assets::report_loan)
        .service(assets::firm_loans)
        .service(assets::firm_guarantees)
        .service(applications::create_application)
        .service(applications::list_applications)
        .service(applications::get_application)
        .service(applications::decide)
        .service(applications::withdraw)
        .service(applications::disburse)
        .service(applications::repay)
        .service(applications::default)
        .service(guarantees::create_guarantees)
        .service(guarantees::list_guarantees)
        .service(guarantees::release)
        .service(guarantees::call_guarantee)
        .service(guarantees::create_policy)
        .service(guarantees::list_policies)
        .service(guarantees::policy_budget)
        .service(guarantees::get_policy)
        .service(guarantees::submit_claims)
        .service(guarantees::list_claims)
        .service(guarantees::reconciliation)
        .service(guarantees::approve)
        .service(guarantees::paid)
        .service(guarantees::withdraw_batch)
        .service(assets::list_loans)
        .service(guarantees::claim_reward)
        .service(guarantees::list_reward_claims)
        .service(guarantees::move_reward_claim)
        .service(guarantees::report_net_assets)
        .service(guarantees::metrics)
        .service(guarantees::agency_reward)
        .service(assets::report_balance)
        .service(assets::pay_receivable)
        .service(reports::statistics)
        .service(reports::yearly)
        .service(remedies::apply_repair)
        .service(remedies::open_dispute)
        .service(remedies::remedies_overview)
        .service(remedies::list_remedies)
        .service(remedies::firm_records)
        .service(remedies::get_remedy)
        .service(remedies::add_remedy_file)
        .service(remedies::get_remedy_file)
        .service(remedies::accept_remedy)
        .service(remedies::decide_remedy)
        .service(remedies::set_remit)
        .service(remedies::get_remit)
        .service(remedies::monitoring_events)
        .service(firms::firm_eligibility)
        .service(firms::firm_declarations)
        .service(firms::decide_declaration)
        .service(scorecards::list_scorecards)
        .service(scorecards::register_scorecard)
        .service(scorecards::fit_scorecard)
        .service(scorecards::scorecard_validation)
        .service(scorecards::scorecard_monitoring)
        .service(scorecards::promote_scorecard)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", contract::document()))
        .service(web::redirect("/docs", "/docs/"));
}

/// How often runs left `running` by a dead process are looked for.
const RUN_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Mark runs left `running` by a dead process as failed: now, and every minute while serving.
fn sweep_interrupted_runs(db: crate::store::Db) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(RUN_SWEEP_EVERY);
        loop {
            every.tick().await;
            let swept = db
                .run(|c| {
                    crate::store::ingestion::interrupt_stale(
                        c,
                        crate::store::ingestion::STALE_AFTER,
                    )
                })
                .await;
            match swept {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    runs = n,
                    "ingestion runs left running by a stopped process marked interrupted"
                ),
                Err(e) => tracing::debug!(error = %e, "could not sweep interrupted ingestion runs"),
            }
        }
    });
}

/// Start serving on an already bound listener (port 0 in tests). Call from within a tokio runtime.
pub fn serve(listener: std::net::TcpListener, state: AppState) -> std::io::Result<Server> {
    sweep_interrupted_runs(state.db.clone());
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(middleware::observe))
            .configure(configure)
            .configure(crate::web::configure)
            .default_service(web::to(contract::no_route))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
