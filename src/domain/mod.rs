//! Pure domain logic: no I/O, no framework types. Values here exist only when valid.

pub mod district;
pub mod industry;
pub mod money;
pub mod role;
pub mod signals;
pub mod size_class;
pub mod uscc;

pub use money::Money;
pub use size_class::{Classification, SizeClass, Standard};
pub use uscc::Uscc;
