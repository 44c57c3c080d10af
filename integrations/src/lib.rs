//! Upstream source connectors (Art 26): one module per source. Filled in by the signals work.
