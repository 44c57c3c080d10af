//! The HTTP API (actix-web): state, routes, the OpenAPI document and the offline docs page.

pub mod auth;
pub mod classify;
pub mod error;
pub mod extract;
pub mod firms;
pub mod health;
pub mod keys;
pub mod middleware;
pub mod signals;
pub mod uscc;

use crate::cache::SharedCache;
use crate::store::Db;
use actix_web::{dev::Server, middleware::from_fn, web, App, HttpResponse, HttpServer};
use error::ApiError;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub cache: SharedCache,
    pub metrics: middleware::Metrics,
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
    ),
    components(schemas(error::Problem, error::FieldError)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route {} {}",
        req.method(),
        req.path()
    )))
}

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
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()))
        .service(web::redirect("/docs", "/docs/"));
}

/// Start serving on an already bound listener (port 0 in tests).
pub fn serve(listener: std::net::TcpListener, state: AppState) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(middleware::observe))
            .configure(configure)
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
