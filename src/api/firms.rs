//! The firm registry: register, read, list and update firms; every write recomputes the size class.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::parse_uscc;
use super::extract::{classify, parse_indicators};
use super::extract::{decode_cursor, encode_cursor, page_limit, Json, Query};
use super::AppState;
use crate::domain::district::{self, parse_district};
use crate::domain::role::Role;
use crate::domain::size_class::{Classification, Indicators};
use crate::domain::{Money, SizeClass, Standard, Uscc};
use crate::store::firms::{self as store, FirmFilter, FirmRow};

use actix_web::{get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

/// A firm to register. Money in yuan as decimal strings; the indicators the industry's row needs are required.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirmInput {
    #[schema(example = "91310115MA1K4LXK3D")]
    pub uscc: String,
    pub name: String,
    /// Row key or GB/T 4754 code (`C1310`).
    pub industry: String,
    /// District key (`pudong`), code (`310115`) or name (`浦东新区`).
    pub district: String,
    /// `YYYY-MM-DD`.
    pub established_on: String,
    pub registered_capital: String,
    pub employees: Option<i64>,
    pub revenue: Option<String>,
    pub total_assets: Option<String>,
}

/// Fields to change; absent fields stay as they are. The size class is recomputed.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirmPatch {
    pub name: Option<String>,
    pub industry: Option<String>,
    pub district: Option<String>,
    pub established_on: Option<String>,
    pub registered_capital: Option<String>,
    pub employees: Option<i64>,
    pub revenue: Option<String>,
    pub total_assets: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FirmView {
    pub uscc: String,
    pub name: String,
    pub industry: String,
    pub industry_row: String,
    pub district: String,
    pub district_code: String,
    pub established_on: String,
    pub registered_capital: String,
    pub employees: Option<i64>,
    pub revenue: Option<String>,
    pub total_assets: Option<String>,
    pub size_class: String,
    pub size_standard: String,
    /// The classification with the indicators that decided it.
    pub classification: Option<Classification>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&FirmRow> for FirmView {
    fn from(r: &FirmRow) -> Self {
        let money = |f: Option<i64>| f.map(|v| Money::from_fen(v).to_string());
        let indicators = Indicators {
            employees: r.employees.map(|e| e.max(0) as u64),
            revenue: r.revenue_fen.map(Money::from_fen),
            total_assets: r.total_assets_fen.map(Money::from_fen),
        };
        let std = Standard::current();
        FirmView {
            uscc: r.uscc.clone(),
            name: r.name.clone(),
            industry: r.industry_code.clone(),
            industry_row: r.industry_row.clone(),
            district: r.district.clone(),
            district_code: parse_district(&r.district)
                .map(|d| d.code.to_string())
                .unwrap_or_default(),
            established_on: r.established_on.to_string(),
            registered_capital: Money::from_fen(r.registered_capital_fen).to_string(),
            employees: r.employees,
            revenue: money(r.revenue_fen),
            total_assets: money(r.total_assets_fen),
            size_class: r.size_class.clone(),
            size_standard: r.size_standard.clone(),
            classification: std
                .industry(&r.industry_code)
                .ok()
                .and_then(|i| std.classify(&i, &indicators).ok()),
            created_at: r.created_at.and_utc().to_rfc3339(),
            updated_at: r.updated_at.and_utc().to_rfc3339(),
        }
    }
}

fn input_of(r: &FirmRow) -> FirmInput {
    let money = |f: Option<i64>| f.map(|v| Money::from_fen(v).to_string());
    FirmInput {
        uscc: r.uscc.clone(),
        name: r.name.clone(),
        industry: r.industry_code.clone(),
        district: r.district.clone(),
        established_on: r.established_on.to_string(),
        registered_capital: Money::from_fen(r.registered_capital_fen).to_string(),
        employees: r.employees,
        revenue: money(r.revenue_fen),
        total_assets: money(r.total_assets_fen),
    }
}

/// Turn input into a row, collecting every field's fault; the size class comes from the current standard.
pub fn validate(
    input: &FirmInput,
    today: chrono::NaiveDate,
    at: chrono::NaiveDateTime,
) -> Result<FirmRow, Vec<FieldError>> {
    let mut errors = Vec::new();
    let uscc = Uscc::parse(&input.uscc)
        .map_err(|e| errors.push(FieldError::new("uscc", e.rule(), e.to_string())))
        .ok();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new(
            "name",
            "length",
            "name must have 1 to 200 characters",
        ));
    }
    let district = parse_district(&input.district);
    if district.is_none() {
        errors.push(FieldError::new(
            "district",
            "district.unknown",
            format!(
                "'{}' is not a Shanghai district; use one of {}",
                input.district,
                district::keys()
            ),
        ));
    }
    let established =
        match chrono::NaiveDate::parse_from_str(input.established_on.trim(), "%Y-%m-%d") {
            Ok(d) if d > today => {
                errors.push(FieldError::new(
                    "established_on",
                    "date.not_future",
                    "established_on is in the future",
                ));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(
                    "established_on",
                    "date.format",
                    "established_on must be a date YYYY-MM-DD",
                ));
                None
            }
        };
    let capital = Money::parse_non_negative(&input.registered_capital)
        .map_err(|e| {
            errors.push(FieldError::new(
                "registered_capital",
                e.rule(),
                format!("registered_capital {e}"),
            ))
        })
        .ok();
    let ind = parse_indicators(
        input.employees,
        input.revenue.as_deref(),
        input.total_assets.as_deref(),
        &mut errors,
    );
    let class = classify(&input.industry, &ind, &mut errors);
    match (uscc, district, established, capital, class) {
        (Some(uscc), Some(district), Some(established), Some(capital), Some(class))
            if errors.is_empty() =>
        {
            Ok(FirmRow {
                uscc: uscc.to_string(),
                name: name.to_string(),
                industry_code: class.industry_code.clone(),
                industry_row: class.row.clone(),
                district: district.key.to_string(),
                established_on: established,
                registered_capital_fen: capital.fen(),
                employees: ind.employees.map(|e| e as i64),
                revenue_fen: ind.revenue.map(Money::fen),
                total_assets_fen: ind.total_assets.map(Money::fen),
                size_class: class.size_class.as_str().to_string(),
                size_standard: class.standard.clone(),
                created_at: at,
                updated_at: at,
            })
        }
        _ => Err(errors),
    }
}

/// Register a firm. Government and admin keys register any firm; a firm key only its own USCC.
#[utoipa::path(tag = "firms", request_body = FirmInput, security(("bearer" = [])), responses(
    (status = 201, body = FirmView),
    (status = 409, description = "the USCC is already registered", body = super::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "a field is invalid", body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/firms")]
pub async fn create_firm(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<FirmInput>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    who.require(&[Role::Government, Role::Admin, Role::Firm])?;
    let row = validate(&body.0, clock.today(), clock.now()).map_err(ApiError::fields)?;
    who.require_firm_access(&row.uscc)?;
    let r = row.clone();
    state
        .db
        .run(move |c| store::insert(c, &r))
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(_) => {
                ApiError::Conflict(format!("firm {} is already registered", row.uscc))
            }
            other => other.into(),
        })?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/firms/{}", row.uscc)))
        .json_line(FirmView::from(&row)))
}

async fn load(state: &AppState, uscc: &Uscc) -> ApiResult<FirmRow> {
    let u = uscc.to_string();
    state
        .db
        .run(move |c| store::get(c, &u))
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => {
                ApiError::NotFound(format!("no firm {uscc} is registered"))
            }
            other => other.into(),
        })
}

/// One firm's registry entry.
#[utoipa::path(tag = "firms", security(("bearer" = [])), params(("uscc" = String, Path)), responses(
    (status = 200, body = FirmView),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/firms/{uscc}")]
pub async fn get_firm(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    who.require_firm_access(uscc.as_str())?;
    let row = load(&state, &uscc).await?;
    Ok(HttpResponse::Ok().json_line(FirmView::from(&row)))
}

/// Change a firm's registry entry; the size class is recomputed from the result.
#[utoipa::path(tag = "firms", security(("bearer" = [])), params(("uscc" = String, Path)), request_body = FirmPatch, responses(
    (status = 200, body = FirmView),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[patch("/v1/firms/{uscc}")]
pub async fn patch_firm(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    body: Json<FirmPatch>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let uscc = parse_uscc("uscc", &uscc)?;
    who.require_firm_access(uscc.as_str())?;
    let old = load(&state, &uscc).await?;
    let p = body.0;
    let base = input_of(&old);
    let merged = FirmInput {
        uscc: base.uscc,
        name: p.name.unwrap_or(base.name),
        industry: p.industry.unwrap_or(base.industry),
        district: p.district.unwrap_or(base.district),
        established_on: p.established_on.unwrap_or(base.established_on),
        registered_capital: p.registered_capital.unwrap_or(base.registered_capital),
        employees: p.employees.or(base.employees),
        revenue: p.revenue.or(base.revenue),
        total_assets: p.total_assets.or(base.total_assets),
    };
    let row = FirmRow {
        created_at: old.created_at,
        ..validate(&merged, clock.today(), clock.now()).map_err(ApiError::fields)?
    };
    let r = row.clone();
    state.db.run(move |c| store::update(c, &r)).await?;
    Ok(HttpResponse::Ok().json_line(FirmView::from(&row)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// District key, code or name.
    pub district: Option<String>,
    /// A row key of the size standard, or a GB/T 4754 code prefix (`C13`).
    pub industry: Option<String>,
    /// `micro`, `small`, `medium` or `large`.
    pub size_class: Option<String>,
    /// 1 to 500; default 50.
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FirmPage {
    pub items: Vec<FirmView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn parse_filter(p: &ListParams) -> Result<(FirmFilter, i64), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut f = FirmFilter::default();
    if let Some(d) = &p.district {
        match parse_district(d) {
            Some(d) => f.district = Some(d.key.to_string()),
            None => errors.push(FieldError::new(
                "district",
                "district.unknown",
                format!(
                    "'{d}' is not a Shanghai district; use one of {}",
                    district::keys()
                ),
            )),
        }
    }
    if let Some(i) = &p.industry {
        let std = Standard::current();
        if std.row(i).is_some() {
            f.industry_row = Some(i.clone());
        } else if !i.is_empty()
            && i.len() <= 5
            && i.as_bytes()[0].is_ascii_alphabetic()
            && i.bytes().skip(1).all(|b| b.is_ascii_digit())
        {
            f.industry_code_prefix = Some(i.to_ascii_uppercase());
        } else {
            errors.push(FieldError::new(
                "industry",
                "industry.format",
                format!(
                    "'{i}' is neither a row key ({}) nor a GB/T 4754 code prefix",
                    std.row_keys().join(", ")
                ),
            ));
        }
    }
    if let Some(c) = &p.size_class {
        match SizeClass::parse(c) {
            Some(c) => f.size_class = Some(c.as_str().to_string()),
            None => errors.push(FieldError::new(
                "size_class",
                "size_class.unknown",
                "size_class must be micro, small, medium or large",
            )),
        }
    }
    let limit = page_limit(p.limit).map_err(|e| errors.push(e)).unwrap_or(0);
    if let Some(c) = &p.cursor {
        match decode_cursor("firm", c) {
            Ok(after) => f.after = Some(after),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok((f, limit))
    } else {
        Err(errors)
    }
}

/// The registry, in USCC order, filtered and paginated (government and admin).
#[utoipa::path(tag = "firms", security(("bearer" = [])), params(ListParams), responses(
    (status = 200, body = FirmPage),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/firms")]
pub async fn list_firms(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<ListParams>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Government, Role::Admin])?;
    let (filter, limit) = parse_filter(&q.0).map_err(ApiError::fields)?;
    let mut rows = state
        .db
        .run(move |c| store::list(c, &filter, limit + 1))
        .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor("firm", &r.uscc))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json_line(FirmPage {
        items: rows.iter().map(FirmView::from).collect(),
        next_cursor,
    }))
}
