//! The composition layer above the features: rules that span several of them.

pub mod blocks;
