//! The one rule deciding whether one person may perceive another at all.
//!
//! Every path that could reveal a person (user lists, search, presence,
//! mentions, private messages, typing, room membership) asks [`may_see`].
//! Rooms are also kept per band, so a room of one band cannot even be named
//! from the other.

use tchatche_protocol::Band;

/// Whether a person of `viewer` band may see, name or contact a person of
/// `other` band. The teen and adult bands never meet.
pub fn may_see(viewer: Band, other: Band) -> bool {
    viewer == other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_never_meet() {
        let table = [
            (Band::Teen, Band::Teen, true),
            (Band::Adult, Band::Adult, true),
            (Band::Teen, Band::Adult, false),
            (Band::Adult, Band::Teen, false),
        ];
        for (viewer, other, expected) in table {
            assert_eq!(may_see(viewer, other), expected, "{viewer:?} -> {other:?}");
        }
    }
}
