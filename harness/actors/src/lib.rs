//! Bulwark's actors — users, the sequencer, exits — and the scenarios that
//! drive them against a devnet, with a transcript of everything they did.

pub mod devnet;
pub mod dispute;
pub mod escape;
pub mod exit;
pub mod guardian;
pub mod scenario;
pub mod sequencer;
pub mod system;
pub mod transcript;
pub mod typed_data;
pub mod user;
pub mod wallet;
