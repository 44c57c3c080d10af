//! The product catalogue: each product's specification is stored as published (JSON), with the columns
//! routes filter on. A product is never deleted: withdrawing stamps `withdrawn_at` (applications keep
//! pointing at it).

use super::schema::products;
use super::{DbConn, Result};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = products)]
pub struct ProductRow {
    pub id: String,
    pub institution_id: String,
    pub kind: String,
    pub name: String,
    pub spec: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub withdrawn_at: Option<chrono::NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &ProductRow) -> Result<()> {
    diesel::insert_into(products::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<ProductRow>> {
    Ok(products::table.find(id).first(conn).optional()?)
}

/// Replace a live product's specification; false when there is no such live product.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    name: &str,
    spec: &str,
    at: chrono::NaiveDateTime,
) -> Result<bool> {
    let n = diesel::update(
        products::table
            .find(id)
            .filter(products::withdrawn_at.is_null()),
    )
    .set((
        products::name.eq(name),
        products::spec.eq(spec),
        products::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn withdraw(conn: &mut DbConn, id: &str, at: chrono::NaiveDateTime) -> Result<bool> {
    let n = diesel::update(
        products::table
            .find(id)
            .filter(products::withdrawn_at.is_null()),
    )
    .set((
        products::withdrawn_at.eq(Some(at)),
        products::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub institution: Option<String>,
    pub kind: Option<String>,
    pub include_withdrawn: bool,
    /// Ids after this one (oldest first paging).
    pub after: Option<String>,
}

pub fn list(conn: &mut DbConn, f: &Filter, limit: i64) -> Result<Vec<ProductRow>> {
    let mut q = products::table.into_boxed();
    if let Some(i) = &f.institution {
        q = q.filter(products::institution_id.eq(i.clone()));
    }
    if let Some(k) = &f.kind {
        q = q.filter(products::kind.eq(k.clone()));
    }
    if !f.include_withdrawn {
        q = q.filter(products::withdrawn_at.is_null());
    }
    if let Some(a) = &f.after {
        q = q.filter(products::id.gt(a.clone()));
    }
    Ok(q.order(products::id.asc()).limit(limit).load(conn)?)
}

/// Every live product: the matching snapshot.
pub fn live(conn: &mut DbConn) -> Result<Vec<ProductRow>> {
    Ok(products::table
        .filter(products::withdrawn_at.is_null())
        .order(products::id.asc())
        .load(conn)?)
}
