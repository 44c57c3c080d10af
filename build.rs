// The page catalogues are embedded by `fluent_templates::static_loader!` when the crate compiles: rebuild
// when one changes.
fn main() {
    println!("cargo:rerun-if-changed=src/web/locales");
    println!("cargo:rerun-if-changed=build.rs");
}
