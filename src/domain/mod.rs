//! Pure domain logic: no I/O, no framework types. Values here exist only when valid.

pub mod agency;
pub mod consent;
pub mod district;
pub mod features;
pub mod industry;
pub mod matching;
pub mod money;
pub mod month;
pub mod role;
pub mod scorecard;
pub mod signals;
pub mod size_class;
pub mod subsidy;
pub mod uscc;
pub mod what_if;

pub use money::Money;
pub use size_class::{Classification, SizeClass, Standard};
pub use uscc::Uscc;
