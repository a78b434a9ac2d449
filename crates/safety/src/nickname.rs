//! Nickname folding and validation: the key under which nicknames are unique
//! server-wide, and the policy deciding whether a nickname may be worn.
//!
//! Folding is built from two crates rather than a hand-written table:
//! `decancer` lower-cases and turns accented letters, fancy fonts and
//! cross-script homoglyphs into plain letters (`Éric` → `eric`, `𝓪𝓭𝓶𝓲𝓷` →
//! `admin`, Cyrillic `Аdmin` → `admin`), then the UTS #39 confusable
//! skeleton from `unicode-security`, applied to the upper-cased text, merges
//! the lookalikes that survive (capital `I`, digit `1` and `l` all become `l`;
//! digit `0` becomes `O`). The skeleton runs on upper case because in lower
//! case it maps `m` to `rn` and `d` to `cl`, which would merge ordinary names.
//!
//! Validation is deliberately stricter than folding: a nickname is made of
//! letters the UTS #39 General Security Profile allows in identifiers, ASCII
//! digits, `-` and `_`, and must not mix scripts in a confusing way. Fancy
//! fonts, invisible characters and combining marks are therefore refused
//! outright, while their folded key still guards uniqueness.

use decancer::Options;
use thiserror::Error;
use unicode_security::{
    GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection, skeleton,
};

/// Fewest characters (Unicode scalar values, not bytes) in a nickname.
pub const MIN_NICKNAME_CHARS: usize = 2;

/// Most characters (Unicode scalar values, not bytes) in a nickname.
pub const MAX_NICKNAME_CHARS: usize = 20;

/// Folds a nickname into the key under which nicknames are unique
/// server-wide: case folding plus confusable folding.
///
/// `Admin`, `ADMlN` and `Аdmin` (Cyrillic `А`) share a key, as do `Éric` and
/// `Eric`, `𝓪𝓭𝓶𝓲𝓷` and `admin`, `b0b` and `bob`, `1`, `l` and `I`. The key
/// is lower case and meant for comparison only, never for display. It keeps
/// `-`, `_` and the digits other than `0` and `1`.
///
/// Never panics; text so malformed that the bidirectional algorithm gives up
/// on it is folded without reordering.
pub fn nickname_key(nick: &str) -> String {
    // Bidi reordering puts right-to-left lookalikes in the order they are
    // seen, so a reversed spoof folds like the name it imitates.
    let cured: String = match decancer::cure(nick, Options::default()) {
        Ok(cured) => cured.into(),
        // With bidi disabled `cure` cannot fail; lower-casing the raw text
        // is the last resort should that ever change.
        Err(_) => decancer::cure(nick, Options::default().disable_bidi())
            .map(String::from)
            .unwrap_or_else(|_| nick.to_lowercase()),
    };
    // Convert to String at once: `CuredString`'s own `==` is a fuzzy,
    // leetspeak-aware match, not equality.
    let upper = cured.to_uppercase();
    skeleton(&upper).flat_map(char::to_lowercase).collect()
}

/// A nickname's folded key (see [`nickname_key`]): what the server compares
/// and indexes to keep nicknames unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NicknameKey(String);

impl NicknameKey {
    /// Folds `nick` without validating it, to look up a nickname that is
    /// already worn (a mention, a `/msg` target, a stored account).
    pub fn from_nickname(nick: &str) -> NicknameKey {
        NicknameKey(nickname_key(nick))
    }

    /// The folded key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The folded key, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Why a nickname was refused. Each variant is a reason the person can be
/// told as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NicknameRefusal {
    /// The nickname breaks a shape rule. The reason is one of the
    /// `NicknameRefusal::*` string constants (`"too short"`, `"too long"`,
    /// `"forbidden character"`, `"must start with a letter"`,
    /// `"mixed scripts"`), stable so clients can translate them.
    #[error("invalid nickname: {0}")]
    Invalid(&'static str),
    /// The nickname imitates a reserved word (staff, the service itself).
    #[error("this nickname is reserved")]
    Reserved,
    /// The nickname contains an offensive word.
    #[error("this nickname is not allowed")]
    Offensive,
}

impl NicknameRefusal {
    /// Fewer than [`MIN_NICKNAME_CHARS`] characters.
    pub const TOO_SHORT: &'static str = "too short";
    /// More than [`MAX_NICKNAME_CHARS`] characters.
    pub const TOO_LONG: &'static str = "too long";
    /// A character other than an allowed letter, an ASCII digit, `-` or `_`
    /// (spaces, invisible characters, combining marks, fancy fonts…).
    pub const FORBIDDEN_CHARACTER: &'static str = "forbidden character";
    /// The first character is a digit, `-` or `_`.
    pub const MUST_START_WITH_LETTER: &'static str = "must start with a letter";
    /// Letters from scripts that are confusable together, such as Latin
    /// with Cyrillic or Greek.
    pub const MIXED_SCRIPTS: &'static str = "mixed scripts";
}

/// The instance's nickname rules: shape, reserved words and offensive words.
///
/// Built once from configuration; [`NicknamePolicy::check`] then costs a few
/// microseconds and allocates only the keys of the nickname it checks.
///
/// # Word rules
///
/// Each configured word is folded with [`nickname_key`] and stripped of
/// digits, `-` and `_` (so `modo` also catches `M0D0`). A nickname is
/// compared in two stripped forms, and a rule that matches either refuses
/// it:
/// - its key with the remaining digits, `-` and `_` removed (`0` and `1` have
///   already become `o` and `l`: `M0D0` → `modo`, `adm1n` → `admln`);
/// - the key of the nickname with its digits, `-` and `_` removed first
///   (`p1ute` → `pute`, `ad1min` → `admln`), so a digit cannot split a word.
///
/// **Reserved**: refused when a stripped form *equals, starts with or ends
/// with* a reserved word: `admin`, `Admin2`, `le_modo`, `modo75`, `xXadmin`,
/// `sadmin`, `tchatche-officiel`, `ADMlN` and `Аdmin` are refused, while
/// names that only hold the letters in their middle, such as `badminton` or
/// `commodore`, are accepted. Real names that begin or end with a reserved
/// word (`Modou` for `modo`) are refused too; keep reserved words long and
/// specific.
///
/// **Offensive**: refused when a stripped form *contains* an offensive word
/// anywhere. Short words therefore catch innocent names (the Scunthorpe
/// problem); the list should hold words that are offensive wherever they
/// appear.
#[derive(Debug, Clone, Default)]
pub struct NicknamePolicy {
    /// Reserved words, folded and stripped as described above.
    pub reserved: Vec<String>,
    /// Offensive words, folded and stripped as described above.
    pub offensive: Vec<String>,
}

impl NicknamePolicy {
    /// Builds the policy, folding each word once. Words that fold to nothing
    /// are dropped, since an empty word would match every nickname.
    pub fn new(reserved: &[String], offensive: &[String]) -> NicknamePolicy {
        NicknamePolicy {
            reserved: fold_word_list(reserved),
            offensive: fold_word_list(offensive),
        }
    }

    /// Checks a nickname exactly as typed (nothing is trimmed) and returns
    /// its key when it may be worn. Uniqueness against the nicknames in use
    /// is the caller's business, by comparing keys.
    ///
    /// # Errors
    ///
    /// Shape rules are checked first and in this order: length, characters,
    /// first character, mixed scripts; then offensive words, then reserved
    /// words. The first broken rule is reported.
    pub fn check(&self, nick: &str) -> Result<NicknameKey, NicknameRefusal> {
        check_shape(nick).map_err(NicknameRefusal::Invalid)?;

        let key = nickname_key(nick);
        let folded_then_stripped = strip_digits_and_separators(&key);
        let stripped_then_folded =
            strip_digits_and_separators(&nickname_key(&strip_digits_and_separators(nick)));
        let forms = [folded_then_stripped.as_str(), stripped_then_folded.as_str()];

        let is_offensive = |form: &str| {
            self.offensive
                .iter()
                .any(|word| form.contains(word.as_str()))
        };
        if forms.iter().any(|form| is_offensive(form)) {
            return Err(NicknameRefusal::Offensive);
        }
        let is_reserved = |form: &str| {
            self.reserved
                .iter()
                .any(|word| form.starts_with(word.as_str()) || form.ends_with(word.as_str()))
        };
        if forms.iter().any(|form| is_reserved(form)) {
            return Err(NicknameRefusal::Reserved);
        }
        Ok(NicknameKey(key))
    }
}

/// Whether `c` is a letter a nickname may hold: alphabetic and allowed in
/// identifiers by the UTS #39 General Security Profile. The profile rules
/// out fancy fonts (`𝓪`, fullwidth `ａ`), invisible fillers (U+3164) and
/// obsolete or technical letters.
pub(crate) fn is_nickname_letter(c: char) -> bool {
    c.is_alphabetic() && c.identifier_allowed()
}

/// Whether `c` may appear anywhere in a nickname: a nickname letter, an
/// ASCII digit, `-` or `_`.
pub(crate) fn is_nickname_char(c: char) -> bool {
    c.is_ascii_digit() || c == '-' || c == '_' || is_nickname_letter(c)
}

/// The shape rules, each failure named by a `NicknameRefusal` reason.
fn check_shape(nick: &str) -> Result<(), &'static str> {
    // Count no further than one past the limit, so a huge input costs
    // nothing more than a long one.
    let n_chars = nick.chars().take(MAX_NICKNAME_CHARS + 1).count();
    if n_chars < MIN_NICKNAME_CHARS {
        return Err(NicknameRefusal::TOO_SHORT);
    }
    if n_chars > MAX_NICKNAME_CHARS {
        return Err(NicknameRefusal::TOO_LONG);
    }
    if !nick.chars().all(is_nickname_char) {
        return Err(NicknameRefusal::FORBIDDEN_CHARACTER);
    }
    if !nick.chars().next().is_some_and(is_nickname_letter) {
        return Err(NicknameRefusal::MUST_START_WITH_LETTER);
    }
    // Highly restrictive still admits Latin with Han, Kana or Hangul (as in
    // Japanese names); anything looser mixes Latin with Cyrillic or Greek,
    // the classic impersonation trick.
    if nick.detect_restriction_level() > RestrictionLevel::HighlyRestrictive {
        return Err(NicknameRefusal::MIXED_SCRIPTS);
    }
    Ok(())
}

/// Drops ASCII digits, `-` and `_`, the characters word rules look through.
fn strip_digits_and_separators(text: &str) -> String {
    text.chars()
        .filter(|&c| !(c.is_ascii_digit() || c == '-' || c == '_'))
        .collect()
}

fn fold_word_list(words: &[String]) -> Vec<String> {
    let mut folded: Vec<String> = words
        .iter()
        .map(|word| strip_digits_and_separators(&nickname_key(word)))
        .filter(|word| !word.is_empty())
        .collect();
    folded.sort();
    folded.dedup();
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|word| word.to_string()).collect()
    }

    fn policy() -> NicknamePolicy {
        NicknamePolicy::new(
            &words(&["admin", "modo", "moderateur", "staff", "system", "tchatche"]),
            &words(&["pute", "connard"]),
        )
    }

    #[test]
    fn confusable_spellings_share_a_key() {
        let groups: &[&[&str]] = &[
            &[
                "Admin",
                "ADMlN",
                "\u{0410}dmin",
                "admin",
                "ADMIN",
                "adm1n",
                "𝓪𝓭𝓶𝓲𝓷",
                "ａｄｍｉｎ",
            ],
            &["alice", "ALICE", "Alice", "AL1CE", "aIice"],
            &["paul", "PAUL", "Paul", "PAUl", "pau1"],
            &["Éric", "Eric", "ÉRIC", "éric", "Ëric"],
            &["b0b", "bob", "BOB", "B0B"],
            &["l1l", "III", "lll", "1Il"],
            &["zoé", "Zoe", "ZOÉ", "z0e"],
            &["léa", "lea"],
            &["paris", "p\u{0430}ris"],
        ];
        for group in groups {
            let expected = nickname_key(group[0]);
            for nick in *group {
                assert_eq!(nickname_key(nick), expected, "{nick:?} vs {:?}", group[0]);
            }
        }
    }

    #[test]
    fn distinct_names_keep_distinct_keys() {
        let pairs = [
            ("alice", "alicia"),
            ("marc", "mark"),
            ("paul", "pual"),
            ("clara", "dara"),
            ("emma", "ernma"),
            ("jean-noel", "jean_noel"),
            ("chloe75", "chloe76"),
            ("bernard", "bemard"),
        ];
        for (a, b) in pairs {
            assert_ne!(nickname_key(a), nickname_key(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn the_three_design_collisions_are_refused_as_one() {
        assert_eq!(nickname_key("Admin"), "admln");
        assert_eq!(nickname_key("ADMlN"), "admln");
        assert_eq!(nickname_key("\u{0410}dmin"), "admln");
    }

    #[test]
    fn folding_never_panics() {
        let all: Vec<char> = (0..=0x10_FFFF_u32).filter_map(char::from_u32).collect();
        for chunk in all.chunks(61) {
            let text: String = chunk.iter().collect();
            let _ = nickname_key(&text);
        }
        let nasty = [
            "",
            "\u{202e}\u{202e}\u{202e}",
            "\u{2067}\u{2069}\u{2069}\u{202c}\u{202c}",
            &"\u{202b}".repeat(300),
            &"\u{2066}".repeat(300),
            &"\u{202a}a\u{202b}".repeat(200),
            "a\u{202e}nimda",
        ];
        for text in nasty {
            let _ = nickname_key(text);
            let _ = policy().check(text);
        }
    }

    #[test]
    fn shape_rules() {
        use NicknameRefusal as R;
        let table: &[(&str, Result<(), &str>)] = &[
            ("al", Ok(())),
            ("a", Err(R::TOO_SHORT)),
            ("", Err(R::TOO_SHORT)),
            ("é", Err(R::TOO_SHORT)),
            ("abcdefghijklmnopqrst", Ok(())),
            ("abcdefghijklmnopqrstu", Err(R::TOO_LONG)),
            // 20 characters but 40 bytes: length counts characters.
            ("éééééééééééééééééééé", Ok(())),
            ("ééééééééééééééééééééé", Err(R::TOO_LONG)),
            (" bob", Err(R::FORBIDDEN_CHARACTER)),
            ("bob ", Err(R::FORBIDDEN_CHARACTER)),
            ("bo b", Err(R::FORBIDDEN_CHARACTER)),
            ("bob!", Err(R::FORBIDDEN_CHARACTER)),
            ("bob.x", Err(R::FORBIDDEN_CHARACTER)),
            ("bob@x", Err(R::FORBIDDEN_CHARACTER)),
            ("bob\n", Err(R::FORBIDDEN_CHARACTER)),
            ("9bob", Err(R::MUST_START_WITH_LETTER)),
            ("-bob", Err(R::MUST_START_WITH_LETTER)),
            ("_bob", Err(R::MUST_START_WITH_LETTER)),
            ("bob٣", Err(R::FORBIDDEN_CHARACTER)), // Arabic-Indic digit
            ("bob５", Err(R::FORBIDDEN_CHARACTER)), // fullwidth digit
            ("😀bob", Err(R::FORBIDDEN_CHARACTER)),
            ("\u{0410}dmin", Err(R::MIXED_SCRIPTS)), // Cyrillic А
            ("p\u{0430}ris", Err(R::MIXED_SCRIPTS)),
            ("alpha\u{03B2}", Err(R::MIXED_SCRIPTS)), // Greek β
        ];
        for (nick, expected) in table {
            assert_eq!(check_shape(nick), *expected, "{nick:?}");
        }
    }

    #[test]
    fn invisible_and_fancy_characters_are_forbidden() {
        let invisible = [
            "al\u{200B}ice", // zero-width space
            "al\u{200C}ice", // zero-width non-joiner
            "al\u{200D}ice", // zero-width joiner
            "al\u{2060}ice", // word joiner
            "al\u{FEFF}ice", // byte order mark
            "al\u{00AD}ice", // soft hyphen
            "al\u{034F}ice", // combining grapheme joiner
            "al\u{180E}ice", // Mongolian vowel separator
            "al\u{202E}ice", // right-to-left override
            "al\u{2066}ice", // left-to-right isolate
            "al\u{3164}ice", // Hangul filler, a "letter" that shows nothing
            "al\u{FFA0}ice", // halfwidth Hangul filler
            "al\u{115F}ice", // Hangul choseong filler
            "al\u{00A0}ice", // no-break space
            "al\u{2800}ice", // braille blank
            "ali\u{0301}ce", // combining acute: NFD text is refused
            "a\u{0363}lice", // combining Latin small letter a (Zalgo)
            "𝓪𝓭𝓶𝓲𝓷",         // mathematical script
            "ａｄｍｉｎ",    // fullwidth
            "ⅫI",            // Roman numeral
        ];
        for nick in invisible {
            assert_eq!(
                policy().check(nick),
                Err(NicknameRefusal::Invalid(
                    NicknameRefusal::FORBIDDEN_CHARACTER
                )),
                "{nick:?}"
            );
        }
    }

    #[test]
    fn every_accepted_character_is_visible() {
        // The skeleton drops default-ignorable code points, so a character
        // with an empty skeleton would be invisible.
        for c in (0..=0x10_FFFF_u32).filter_map(char::from_u32) {
            if is_nickname_char(c) {
                let mut one = [0_u8; 4];
                assert!(
                    skeleton(c.encode_utf8(&mut one)).next().is_some(),
                    "U+{:04X} is accepted but ignorable",
                    c as u32
                );
                assert!(!c.is_whitespace() && !c.is_control(), "U+{:04X}", c as u32);
            }
        }
    }

    #[test]
    fn ordinary_names_are_accepted() {
        let names = [
            "Éloïse",
            "Zoé",
            "Jean-Noël",
            "chloé_75",
            "Cœur",
            "Œdipe",
            "Ægir",
            "François",
            "Maëlys",
            "Anaïs",
            "Gaëtan",
            "Hélène",
            "Noé",
            "Loïc",
            "Ñuño",
            "Straße",
            "Jean-Marie_2A",
            "paul",
            "alice",
            "bob42",
            "Дмитрий",
            "Ζωή",
            "محمد",
            "東京",
            "Yuki山田",
            "badminton",
            "commodore",
            "Smodor",
        ];
        for nick in names {
            assert!(
                policy().check(nick).is_ok(),
                "{nick:?}: {:?}",
                policy().check(nick)
            );
        }
    }

    #[test]
    fn reserved_words_and_their_variants_are_refused() {
        let refused = [
            "admin",
            "Admin",
            "ADMIN",
            "Admin2",
            "ADMlN",
            "\u{0410}dmin", // mixed scripts comes first for this one
            "adm1n",
            "ad1min",
            "a_d_m_i_n",
            "le_modo",
            "modo75",
            "M0D0",
            "Modo",
            "xXadmin",
            "sadmin",
            "administrateur",
            "tchatche-officiel",
            "TchatcheBot",
            "Moderateur",
            "modérateur",
            "staff",
            "le-staff",
            "System",
            "SYSTEM_32",
        ];
        let policy = policy();
        for nick in refused {
            assert!(policy.check(nick).is_err(), "{nick:?} accepted");
        }
        assert_eq!(policy.check("ADMlN"), Err(NicknameRefusal::Reserved));
        assert_eq!(policy.check("modo75"), Err(NicknameRefusal::Reserved));
        assert_eq!(policy.check("le_modo"), Err(NicknameRefusal::Reserved));
        assert_eq!(policy.check("sadmin"), Err(NicknameRefusal::Reserved));
        assert_eq!(
            policy.check("\u{0410}dmin"),
            Err(NicknameRefusal::Invalid(NicknameRefusal::MIXED_SCRIPTS))
        );
        // A whole-script Cyrillic spoof is one script, so it reaches the
        // word rules: ѕуѕтем (Cyrillic) folds to "system".
        assert_eq!(
            policy.check("\u{0455}\u{0443}\u{0455}\u{0442}\u{0435}\u{043C}"),
            Err(NicknameRefusal::Reserved)
        );
    }

    #[test]
    fn reserved_words_in_the_middle_are_fine() {
        let policy = policy();
        for nick in [
            "badminton",
            "commodore",
            "Bastaffa",
            "ecosystemes",
            "lesadminou",
        ] {
            assert!(
                policy.check(nick).is_ok(),
                "{nick:?}: {:?}",
                policy.check(nick)
            );
        }
    }

    #[test]
    fn offensive_words_are_refused_anywhere() {
        let policy = policy();
        for nick in [
            "pute",
            "PUTE",
            "grosse_pute",
            "xputex",
            "p0ute",
            "p1ute",
            "put-e",
            "sale_C0NNARD",
            "ConnardDu75",
        ] {
            assert_eq!(
                policy.check(nick),
                Err(NicknameRefusal::Offensive),
                "{nick:?}"
            );
        }
        for nick in ["puteaux", "Deputé"] {
            // The Scunthorpe problem, documented on NicknamePolicy.
            assert_eq!(
                policy.check(nick),
                Err(NicknameRefusal::Offensive),
                "{nick:?}"
            );
        }
        assert!(policy.check("putois").is_ok());
    }

    #[test]
    fn word_lists_are_folded_once() {
        let policy = NicknamePolicy::new(
            &words(&["Modo", "M0D0", "", "--", "42", "ADMIN"]),
            &words(&["Pute"]),
        );
        assert_eq!(policy.reserved, words(&["admln", "modo"]));
        assert_eq!(policy.offensive, words(&["pute"]));
        assert!(policy.check("alice").is_ok());
    }

    #[test]
    fn accepted_nickname_returns_its_key() {
        let key = policy().check("Éloïse");
        assert_eq!(key.as_ref().map(NicknameKey::as_str), Ok("elolse"));
        assert_eq!(
            key.map(NicknameKey::into_string),
            Ok(NicknameKey::from_nickname("ELOISE").into_string())
        );
    }
}
