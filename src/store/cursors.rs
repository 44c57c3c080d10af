//! The persisted `since` cursor of each upstream source, saved in the same transaction as the page it ends.

use super::schema::source_cursors;
use super::{DbConn, Result};
use crate::clock::system::now;
use diesel::prelude::*;

pub fn get(conn: &mut DbConn, source: &str) -> Result<Option<String>> {
    Ok(source_cursors::table
        .find(source)
        .select(source_cursors::cursor)
        .first(conn)
        .optional()?)
}

pub fn set(conn: &mut DbConn, source: &str, cursor: &str) -> Result<()> {
    let at = now();
    crate::on_backend!(&mut *conn, |c| diesel::insert_into(source_cursors::table)
        .values((
            source_cursors::source.eq(source),
            source_cursors::cursor.eq(cursor),
            source_cursors::updated_at.eq(at)
        ))
        .on_conflict(source_cursors::source)
        .do_update()
        .set((
            source_cursors::cursor.eq(cursor),
            source_cursors::updated_at.eq(at)
        ))
        .execute(c))?;
    Ok(())
}

pub fn reset(conn: &mut DbConn, source: &str) -> Result<()> {
    diesel::delete(source_cursors::table.find(source)).execute(conn)?;
    Ok(())
}
