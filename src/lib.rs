//! credithub: a financing-match and credit data hub for SMEs (Shanghai SME Promotion Regulations, Art 26-28, 58).

pub mod api;
pub mod audit;
pub mod cache;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod financing;
pub mod ingest;
pub mod profile;
pub mod service;
pub mod startup;
pub mod store;
pub mod web;
