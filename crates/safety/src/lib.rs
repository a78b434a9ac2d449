//! Safety rules as pure functions over plain data: who may see whom, what a
//! nickname may be, and the one decision every message and contact attempt
//! passes before delivery.
//!
//! Nothing here does IO or keeps state; the hub gathers the facts and acts
//! on the verdict. Each rule costs microseconds, so the whole path stays
//! cheap enough to run on every message.

pub mod decision;
pub mod names;
pub mod nickname;
pub mod visibility;

pub use decision::{Mute, Place, SpeechFacts, Verdict, assess};
pub use visibility::may_see;
