//! The guest profile an IRC user gives in the USER real-name field:
//! `age gender département`, e.g. `25 H 75`.

use tchatche_protocol::Gender;

/// A profile read from a real name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestProfile {
    /// Age in years (checked by the hub like any entry).
    pub age: u32,
    /// Gender.
    pub gender: Gender,
    /// Département code, as given (checked by the hub).
    pub department: String,
}

/// How to give a profile, for the refusal notice.
pub const PROFILE_HELP_FR: &str = "Indiquez votre profil dans le champ « nom réel » : âge, genre (H, F ou A) et département (ex. 75, 2A, 971, ou etranger), par exemple « 25 H 75 ».";
/// The same in English.
pub const PROFILE_HELP_EN: &str = "Give your profile in the real-name field: age, gender (H, F or A) and département (e.g. 75, 2A, 971, or etranger), for example \"25 H 75\".";

/// Reads `age gender département` from a real name; `None` if it is not one.
pub fn parse_profile(realname: &str) -> Option<GuestProfile> {
    let mut words = realname.split_whitespace();
    let age = words.next()?.parse().ok()?;
    let gender = match words.next()?.to_lowercase().as_str() {
        "h" | "m" | "homme" | "man" | "male" => Gender::Homme,
        "f" | "w" | "femme" | "woman" | "female" => Gender::Femme,
        "a" | "o" | "autre" | "other" => Gender::Autre,
        _ => return None,
    };
    let department = words.next()?.to_owned();
    if words.next().is_some() {
        return None;
    }
    Some(GuestProfile {
        age,
        gender,
        department,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_words_and_nothing_else() {
        let profile = |age, gender, department: &str| {
            Some(GuestProfile {
                age,
                gender,
                department: department.into(),
            })
        };
        let cases = [
            ("25 H 75", profile(25, Gender::Homme, "75")),
            ("  17 f 2A ", profile(17, Gender::Femme, "2A")),
            ("40 autre etranger", profile(40, Gender::Autre, "etranger")),
            ("30 A 971", profile(30, Gender::Autre, "971")),
            ("realname", None),
            ("25 H", None),
            ("vingt H 75", None),
            ("25 X 75", None),
            ("25 H 75 extra", None),
            ("", None),
        ];
        for (realname, expected) in cases {
            assert_eq!(parse_profile(realname), expected, "{realname:?}");
        }
    }
}
