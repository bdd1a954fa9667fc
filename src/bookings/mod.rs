//! Bookings: the rooms, desks (a pool of seats or named desks), phone booths and event rooms
//! of the space, with opening hours in the space's time zone and booking rules; members book
//! them for themselves or for a company they manage, once or weekly, and cancel. Two bookings
//! never hold one seat at one time: each is written in a transaction that first locks the
//! resource (`store::lock`). A booking names who it is for (a member, a company, or a visitor
//! from a peer space, for visits across spaces), so the same tables will hold visits.

pub mod api;
pub mod grid;
pub mod model;
pub mod reminders;
pub mod rules;
pub mod service;
pub mod store;
pub mod web;
pub mod web_admin;

pub use model::{Booking, Resource};
