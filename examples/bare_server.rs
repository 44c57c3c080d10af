//! The load benchmark's baseline: a bare actix-web server that answers every
//! `GET /v1/firms/{uscc}/profile` with the same bytes (a profile saved from the hub), with no auth, no
//! consent check, no cache and no audit. `benches/load/profile_bank.sh` runs it next to the hub.
//!   cargo run --release --example bare_server -- 127.0.0.1:18081 profile.json

use actix_web::{get, web, App, HttpResponse, HttpServer};

/// The same allocator as the hub, so the comparison is of the work done, not of the allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[get("/v1/firms/{uscc}/profile")]
async fn profile(body: web::Data<Vec<u8>>, _uscc: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.get_ref().clone())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:18081".into());
    let file = args
        .next()
        .ok_or_else(|| std::io::Error::other("usage: bare_server ADDR FILE"))?;
    let body = web::Data::new(std::fs::read(file)?);
    HttpServer::new(move || App::new().app_data(body.clone()).service(profile))
        .bind(bind)?
        .run()
        .await
}
