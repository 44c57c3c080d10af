//! The lifecycle enums of `domain::states` stored as their text on every backend: a stored word that is
//! none of the enum's is a read error, never a default.

use crate::domain::states::{
    ApplicationStatus, BatchStatus, LoanKind, LoanStatus, ReceivableStatus, RemedyKind,
    RemedyStatus, RewardStatus,
};
use crate::domain::subsidy::Status as LineStatus;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

macro_rules! stored_as_text {
    ($($t:ty),+) => {$(
        impl<DB> FromSql<Text, DB> for $t
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                Ok(<$t>::parse(&s)?)
            }
        }

        impl<DB> ToSql<Text, DB> for $t
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                let s: &'static str = self.as_str();
                s.to_sql(out)
            }
        }
    )+};
}

stored_as_text!(
    ApplicationStatus,
    LoanStatus,
    LoanKind,
    ReceivableStatus,
    BatchStatus,
    LineStatus,
    RewardStatus,
    RemedyKind,
    RemedyStatus
);
