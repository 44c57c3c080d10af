//! The API contract beyond what each handler declares: the problem responses every operation can give
//! (declared once, as `application/problem+json`), and 405 for a known path asked with a method it
//! does not have (with `Allow`).

use super::error::{ApiError, PROBLEM_JSON};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use std::sync::OnceLock;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// What each problem status means, as the document states it.
const MEANING: &[(&str, &str)] = &[
    ("400", "malformed request (unreadable JSON, CSV or cursor)"),
    ("401", "no API key, an unknown one, or a revoked one"),
    ("403", "this key's role or institution may not do this"),
    ("404", "no such record (or not visible to this key)"),
    ("405", "this path does not take this method"),
    (
        "409",
        "conflicts with the record's state or an existing record",
    ),
    ("413", "the body is over the configured limit"),
    ("415", "a content type this operation does not read"),
    (
        "422",
        "a field or parameter breaks a rule; `errors` names each",
    ),
    ("429", "rate limit or daily quota reached; see Retry-After"),
    (
        "503",
        "the database is unavailable for a moment; see Retry-After",
    ),
];

fn meaning(status: &str) -> &'static str {
    MEANING
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("problem", |(_, m)| m)
}

/// The problem statuses an operation can answer: by whether it is authenticated, has path or query
/// parameters, reads a body, and changes state.
fn problem_statuses(path: &str, method: &str, op: &Operation) -> Vec<&'static str> {
    let mut out = Vec::new();
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |at: ParameterIn| params.iter().any(|p| p.parameter_in == at);
    let body = op.request_body.is_some();
    if op.security.is_some() {
        out.extend(["401", "403", "429"]);
    }
    if has(ParameterIn::Path) || op.security.is_some() {
        out.push("404");
    }
    if has(ParameterIn::Query) || has(ParameterIn::Path) || body {
        out.extend(["400", "422"]);
    }
    if body {
        out.extend(["413", "415"]);
    }
    if method != "get" {
        out.push("409");
    }
    if path != "/healthz" {
        out.push("503");
    }
    out
}

/// Declares every operation's problem responses as `application/problem+json` with the [`Problem`]
/// schema (replacing what a handler declared for a 4xx/5xx with the one shape every error has).
pub struct Problems;

impl utoipa::Modify for Problems {
    fn modify(&self, doc: &mut OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops = [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ];
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let mut statuses: Vec<String> = problem_statuses(path, method, op)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                statuses.extend(
                    op.responses
                        .responses
                        .keys()
                        .filter(|s| s.starts_with('4') || s.starts_with('5'))
                        .cloned(),
                );
                statuses.sort_unstable();
                statuses.dedup();
                for status in statuses {
                    let described = match op.responses.responses.get(&status) {
                        Some(RefOr::T(r)) => r.description.clone(),
                        _ => meaning(&status).to_string(),
                    };
                    let problem = ResponseBuilder::new()
                        .description(described)
                        .content(
                            PROBLEM_JSON,
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("Problem")))
                                .build(),
                        )
                        .build();
                    op.responses.responses.insert(status, RefOr::T(problem));
                }
            }
        }
    }
}

/// A USCC as the schema can state it (GB 32100-2015's alphabet and length; the check character is
/// verified by the hub and answered 422 `uscc.check_character`).
const USCC_PATTERN: &str = "^[0-9A-HJ-NPQRTUWXY]{18}$";
/// A yuan amount: plain decimal notation, at most two decimals (`Money::parse`).
const MONEY_PATTERN: &str = "^-?[0-9]+([.][0-9]{1,2})?$";
const MONTH_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])$";

/// The constraints of an input named `name` (a parameter, or a property of a request body), as the
/// hub's parsers enforce them; `None` where the name says nothing.
fn constraint(name: &str, in_query: bool) -> Option<serde_json::Value> {
    use serde_json::json;
    Some(match name {
        "uscc" | "code" | "firm_uscc" | "debtor_uscc" => json!({"pattern": USCC_PATTERN}),
        "limit" => json!({"minimum": 1, "maximum": 500}),
        "cursor" | "id" | "agency" | "institution_id" | "policy_id" | "product_id"
        | "record_id" | "contract_no" | "invoice_no" | "number" | "lender" | "document_ref"
        | "authority" => {
            json!({"minLength": 1})
        }
        "name" => json!({"minLength": 1, "maxLength": 200}),
        "from" | "to" | "on" | "due_on" | "appraised_on" | "established_on" | "start_on"
        | "end_on" => json!({"format": "date"}),
        "as_of" if in_query => json!({"pattern": MONTH_PATTERN}),
        "amount" | "appraised_value" | "claimed" | "compensation" | "guaranteed"
        | "loan_amount" | "net_assets" | "outstanding" | "registered_capital" | "revenue"
        | "total_assets" => {
            json!({"pattern": MONEY_PATTERN})
        }
        "purpose" => {
            json!({"enum": ["credit_assessment", "post_loan_monitoring", "guarantee_review"]})
        }
        "source" => {
            json!({"enum": ["tax", "social_insurance", "utility", "customs", "public_credit", "procurement"]})
        }
        "district" => {
            let spellings: Vec<&str> = crate::domain::district::DISTRICTS
                .iter()
                .flat_map(|d| [d.key, d.code, d.name_zh])
                .collect();
            json!({ "enum": spellings })
        }
        "size_class" => json!({"enum": ["micro", "small", "medium", "large"]}),
        "side" => json!({"enum": ["creditor", "debtor"]}),
        "decision" => json!({"enum": ["approve", "decline"]}),
        "kind" if in_query => {
            json!({"enum": ["bank_loan", "guarantee_scheme", "receivable_financing", "ip_pledge"]})
        }
        "term_months" => json!({"minimum": 1, "maximum": 360}),
        "data_months" => json!({"minimum": 1, "maximum": 36}),
        "employees" => json!({"minimum": 0}),
        "max_queries_per_month" | "data_life_days" | "consent_days" => json!({"minimum": 1}),
        "rate_per_sec" | "rate_burst" => json!({"minimum": 1, "maximum": 1_000_000}),
        "daily_quota" => json!({"minimum": 1, "maximum": i32::MAX}),
        _ => return None,
    })
}

/// Merge `extra` into the schema at `schema` (`{"type": …}`); arrays constrain their items.
fn constrain(schema: &mut serde_json::Value, extra: &serde_json::Value) {
    let is_array = schema.get("type").is_some_and(|t| {
        t == "array" || t.as_array().is_some_and(|a| a.iter().any(|x| x == "array"))
    });
    let target = if is_array {
        match schema.get_mut("items") {
            Some(items) => items,
            None => return,
        }
    } else {
        schema
    };
    if let (Some(o), Some(add)) = (target.as_object_mut(), extra.as_object()) {
        for (k, v) in add {
            if k == "enum" && o.get("type").is_some_and(|t| t.is_array()) {
                // A nullable enum: null stays allowed.
                let mut values = v.as_array().cloned().unwrap_or_default();
                values.push(serde_json::Value::Null);
                o.insert(k.clone(), values.into());
            } else {
                o.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The component schemas request bodies use (directly or inside arrays and other components).
fn request_components(doc: &serde_json::Value) -> Vec<String> {
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(|r| r.as_str()) {
                    out.push(r.trim_start_matches("#/components/schemas/").to_string());
                }
                o.values().for_each(|x| refs(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut todo = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            refs(&op["requestBody"], &mut todo);
        }
    }
    let mut seen: Vec<String> = Vec::new();
    while let Some(name) = todo.pop() {
        if seen.contains(&name) {
            continue;
        }
        refs(&doc["components"]["schemas"][&name], &mut todo);
        seen.push(name);
    }
    seen
}

/// The document as served: what the handlers declare, with every input's constraints by its name
/// (made once).
pub fn document() -> OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(constrained).clone()
}

fn constrained() -> OpenApi {
    use utoipa::OpenApi as _;
    let declared = super::ApiDoc::openapi();
    let Ok(mut doc) = serde_json::to_value(&declared) else {
        return declared;
    };
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                for p in op["parameters"].as_array_mut().into_iter().flatten() {
                    let in_query = p["in"] == "query";
                    let name = p["name"].as_str().unwrap_or_default().to_string();
                    if let Some(extra) = constraint(&name, in_query) {
                        constrain(&mut p["schema"], &extra);
                    }
                }
            }
        }
    }
    for component in request_components(&doc) {
        let props = &mut doc["components"]["schemas"][&component]["properties"];
        for (name, schema) in props.as_object_mut().into_iter().flatten() {
            if let Some(extra) = constraint(name, false) {
                constrain(schema, &extra);
            }
        }
    }
    serde_json::from_value(doc).unwrap_or(declared)
}

/// Path templates of the document (`/v1/firms/{uscc}`) with the methods each takes.
fn routes() -> &'static Vec<(Vec<String>, Vec<&'static str>)> {
    static ROUTES: OnceLock<Vec<(Vec<String>, Vec<&'static str>)>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        document()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, on)| on.then_some(m))
                .collect();
                (path.split('/').map(str::to_string).collect(), methods)
            })
            .collect()
    })
}

/// The methods a known path takes (empty for an unknown path). As OpenAPI matches paths, a concrete
/// path wins over a templated one (`/v1/remedies/repairs` is not `/v1/remedies/{id}`): only the
/// templates that fit with the most literal segments count.
fn allowed(path: &str) -> Vec<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    let fitting: Vec<(usize, &Vec<&'static str>)> = routes()
        .iter()
        .filter(|(template, _)| {
            template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
        })
        .map(|(template, methods)| {
            let literal = template.iter().filter(|t| !t.starts_with('{')).count();
            (literal, methods)
        })
        .collect();
    let best = fitting.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let mut out: Vec<&'static str> = Vec::new();
    for (_, methods) in fitting.into_iter().filter(|(n, _)| *n == best) {
        out.extend(
            methods
                .iter()
                .filter(|m| !out.contains(m))
                .collect::<Vec<_>>(),
        );
    }
    out
}

/// What answers when no route took the request: 405 with `Allow` for a known path, else 404.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    let methods = allowed(req.path());
    if methods.is_empty() {
        return actix_web::ResponseError::error_response(&ApiError::NotFound(format!(
            "no route {} {}",
            req.method(),
            req.path()
        )));
    }
    let mut res = actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed(format!(
        "{} takes {}, not {}",
        req.path(),
        methods.join(", "),
        req.method()
    )));
    if let Ok(v) = header::HeaderValue::from_str(&methods.join(", ")) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_list_their_methods() {
        assert_eq!(allowed("/v1/firms"), vec!["GET", "POST"]);
        assert_eq!(
            allowed("/v1/firms/91310000MA1FL0001X"),
            vec!["GET", "PATCH"]
        );
        assert!(allowed("/v1/nothing-here").is_empty());
        // A concrete path is not its templated neighbour.
        assert_eq!(allowed("/v1/remedies/repairs"), vec!["POST"]);
        assert_eq!(allowed("/v1/remedies/overview"), vec!["GET"]);
        assert_eq!(allowed("/v1/remedies/0193-abc"), vec!["GET"]);
        assert!(allowed("/v1/firms//profile").is_empty());
    }
}
