//! The composition layer, above the features: what needs several features at once. Here: the
//! inbound dispatcher ([`dispatch`]: one enum, one `match`, the owning feature's handler) and
//! the processor of the inbox's stored activities with the look-ups that classify them
//! ([`inbound`]). The federation floor (`crate::federation`) sits under the features and knows
//! none of them; this module may use both.

pub mod dispatch;
pub mod inbound;
