//! Nicknames and room names for load clients that the server accepts and
//! never confuses with one another.
//!
//! The server folds nicknames before comparing them (`0` and `O` are one
//! letter, so are `1`, `l` and `I`) and refuses those that start or end with
//! a reserved word (`admin`, `bot`, …) or contain an offensive one. Numbers
//! are therefore written with ten consonants that fold to themselves, behind
//! a `u`: no reserved or offensive word can be spelt with them.
//!
//! A run tag, also written in those letters, goes into every name so that two
//! runs against the same server (a smoke test after a benchmark, say) do not
//! collide.

use std::time::{SystemTime, UNIX_EPOCH};

/// The letters standing for the decimal digits 0 to 9.
const DIGIT_LETTERS: [char; 10] = ['b', 'c', 'd', 'f', 'g', 'h', 'k', 'm', 'n', 'p'];

/// Letters in a run tag.
const RUN_TAG_LETTERS: u32 = 4;

/// Writes `number` in decimal with [`DIGIT_LETTERS`], padded to at least
/// `min_letters` letters.
fn spell(number: u64, min_letters: u32) -> String {
    let digits = number.to_string();
    let padding = (min_letters as usize).saturating_sub(digits.len());
    std::iter::repeat_n(DIGIT_LETTERS[0], padding)
        .chain(
            digits
                .bytes()
                .map(|digit| DIGIT_LETTERS[usize::from(digit - b'0')]),
        )
        .collect()
}

/// What distinguishes this run's names from another run's.
#[derive(Clone, Debug)]
pub struct RunTag(String);

impl RunTag {
    /// A tag drawn from the clock: four letters, so ten thousand possible tags.
    pub fn from_clock() -> RunTag {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_micros())
            .unwrap_or(0);
        RunTag::from_number(u64::from(nanos))
    }

    /// The tag spelling the last four decimal digits of `number`.
    pub fn from_number(number: u64) -> RunTag {
        RunTag(spell(number % 10u64.pow(RUN_TAG_LETTERS), RUN_TAG_LETTERS))
    }

    /// The nickname of client number `index`: at most 20 characters for any
    /// index below 10^15.
    pub fn nickname(&self, index: usize) -> String {
        format!("u{}{}", self.0, spell(index as u64, 1))
    }

    /// The display name of room number `index`.
    pub fn room_name(&self, index: usize) -> String {
        format!("load {} {}", self.0, spell(index as u64, 1))
    }

    /// The IRC channel (without `#`) of room number `index`: the slug
    /// tchatche derives from [`RunTag::room_name`], and a valid channel name
    /// on any IRC server.
    pub fn channel(&self, index: usize) -> String {
        format!("load-{}-{}", self.0, spell(index as u64, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_spelt_with_unambiguous_letters() {
        assert_eq!(spell(0, 1), "b");
        assert_eq!(spell(1024, 1), "cbdg");
        assert_eq!(spell(7, 4), "bbbm");
        let tag = RunTag::from_number(123_456);
        assert_eq!(tag.nickname(9_999), "ufghkpppp");
        assert_eq!(tag.room_name(12), "load fghk cd");
        assert_eq!(tag.channel(12), "load-fghk-cd");
    }

    #[test]
    fn nicknames_stay_within_twenty_characters() {
        let tag = RunTag::from_number(9_999);
        assert!(tag.nickname(999_999_999_999_999).chars().count() <= 20);
    }
}
