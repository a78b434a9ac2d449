//! Identifiers that cross the wire: users, messages and sanctions.
//!
//! Both are 64-bit numbers inside the server but travel as decimal strings,
//! because JavaScript numbers lose precision above 2^53 and the id layout
//! (time, node, sequence) will use all 64 bits once several nodes exist.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
        #[ts(type = "string")]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(|_| {
                    serde::de::Error::custom(concat!("expected a ", stringify!($name), " as a decimal string"))
                })
            }
        }
    };
}

string_id!(
    /// A connected person (one session). Never reused while the server runs.
    UserId
);
string_id!(
    /// A room message or a private message. Increases with time.
    MessageId
);
string_id!(
    /// A site-wide sanction, quoted in its statement of reasons and in an appeal.
    SanctionId
);
