//! Integration tests: a real server on 127.0.0.1:0 with a real SQLite file,
//! driven by real WebSocket clients, one module per part of the story.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

mod accounts;
mod bad_input;
mod bands;
mod binary;
mod database;
mod dms;
mod entry;
mod irc;
mod irc_accounts;
mod people;
mod rooms;
mod slow;
mod staff;
mod tidy;
mod web_client;
