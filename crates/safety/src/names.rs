//! Room names and mentions: the slug and folded key of a room that members
//! create, and the `@nick` tokens of a message.
//!
//! A slug is plain ASCII (`fans-de-zoe`), safe as an IRC channel name and in
//! a URL; the room key folds it further, like a nickname key, so that rooms
//! whose names merely look alike cannot coexist.

use decancer::Options;
use thiserror::Error;

use crate::nickname::{MAX_NICKNAME_CHARS, is_nickname_char, is_nickname_letter, nickname_key};

/// Fewest characters in a room name, after trimming.
pub const MIN_ROOM_NAME_CHARS: usize = 2;

/// Most characters in a room name, after trimming.
pub const MAX_ROOM_NAME_CHARS: usize = 30;

/// Most bytes in a room slug; longer slugs are cut at this length.
pub const MAX_ROOM_SLUG_BYTES: usize = 30;

/// Most distinct mentions [`mentioned_nicks`] returns for one message.
pub const MAX_MENTIONS: usize = 10;

/// Why a room name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RoomNameRefusal {
    /// Fewer than [`MIN_ROOM_NAME_CHARS`] characters after trimming.
    #[error("room name too short")]
    TooShort,
    /// More than [`MAX_ROOM_NAME_CHARS`] characters after trimming.
    #[error("room name too long")]
    TooLong,
    /// A character other than a letter, an ASCII digit, a space, `-`, `_`
    /// or an apostrophe (`'` or `’`).
    #[error("forbidden character in room name")]
    ForbiddenCharacter,
    /// Nothing in the name can be written in ASCII letters or digits (only
    /// separators, or only letters of a script with no Latin lookalike).
    #[error("room name has no letter or digit usable in its address")]
    EmptySlug,
}

/// Validates the name of a user-created room and returns its slug.
///
/// The name is trimmed, then must hold 2 to 30 characters, each a letter
/// (as allowed in nicknames), an ASCII digit, a space, `-`, `_`, `'` or `’`
/// (the apostrophe phones type in French text).
///
/// The slug is the name folded to lower-case ASCII by `decancer` (accents
/// and lookalikes removed), with every run of other characters turned into
/// one `-` and no `-` at either end; it matches `^[a-z0-9]+(-[a-z0-9]+)*$`.
/// Folding can lengthen a name (`œ` → `oe`), so a slug longer than
/// [`MAX_ROOM_SLUG_BYTES`] is cut there. `"Fans de Zoé"` → `fans-de-zoe`,
/// `"Café  du  coin"` → `cafe-du-coin`.
///
/// # Errors
///
/// A [`RoomNameRefusal`] naming the first broken rule.
pub fn room_slug(name: &str) -> Result<String, RoomNameRefusal> {
    let name = name.trim();
    let n_chars = name.chars().take(MAX_ROOM_NAME_CHARS + 1).count();
    if n_chars < MIN_ROOM_NAME_CHARS {
        return Err(RoomNameRefusal::TooShort);
    }
    if n_chars > MAX_ROOM_NAME_CHARS {
        return Err(RoomNameRefusal::TooLong);
    }
    let is_room_name_char = |c: char| {
        c.is_ascii_digit() || matches!(c, ' ' | '-' | '_' | '\'' | '’') || is_nickname_letter(c)
    };
    if !name.chars().all(is_room_name_char) {
        return Err(RoomNameRefusal::ForbiddenCharacter);
    }

    let cured: String = match decancer::cure(name, Options::default()) {
        Ok(cured) => cured.into(),
        Err(_) => decancer::cure(name, Options::default().disable_bidi())
            .map(String::from)
            .unwrap_or_else(|_| name.to_lowercase()),
    };
    let mut slug = String::with_capacity(MAX_ROOM_SLUG_BYTES + 1);
    let mut pending_dash = false;
    for c in cured.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            // Separators, and whatever decancer could not make ASCII.
            pending_dash = true;
        }
    }
    if slug.len() > MAX_ROOM_SLUG_BYTES {
        // The slug is ASCII, so any byte index is a character boundary.
        slug.truncate(MAX_ROOM_SLUG_BYTES);
        slug.truncate(slug.trim_end_matches('-').len());
    }
    if slug.is_empty() {
        return Err(RoomNameRefusal::EmptySlug);
    }
    Ok(slug)
}

/// Whether `slug` is a room slug: lower-case ASCII letters and digits in
/// words joined by single dashes (`fans-de-zoe`), at most
/// [`MAX_ROOM_SLUG_BYTES`] long. It is the one rule, for the rooms members
/// create ([`room_slug`] makes only such slugs) and for the seeded rooms of
/// the configuration alike.
pub fn is_room_slug(slug: &str) -> bool {
    slug.len() <= MAX_ROOM_SLUG_BYTES
        && slug.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        })
}

/// The key under which room slugs are unique: [`nickname_key`] applied to
/// the slug, so `paris` and `pаris` (Cyrillic `а`), or `salon-10` and
/// `salon-lo`, name the same room.
pub fn room_key(slug: &str) -> String {
    nickname_key(slug)
}

/// The nicknames mentioned in a message body, as written, without the `@`.
///
/// A mention is an `@` at the start of the body or after a character that
/// is neither alphanumeric nor `-` nor `_` (so `bob@example.com` is not a
/// mention), followed by the longest run of nickname characters (letters,
/// ASCII digits, `-`, `_`). Trailing `-` and `_` are kept, since nicknames
/// may end with them; punctuation ends the token (`@Zoé,` → `Zoé`,
/// `@Bob's` → `Bob`). Tokens that cannot be a nickname (not starting with a
/// letter, or longer than a nickname may be) are skipped.
///
/// Returns at most [`MAX_MENTIONS`] tokens, distinct as written, in order of
/// appearance. Tokens are not folded: resolve them with
/// [`crate::nickname::NicknameKey::from_nickname`], which may merge some.
pub fn mentioned_nicks(body: &str) -> Vec<&str> {
    let mut mentions: Vec<&str> = Vec::new();
    let mut position = 0;
    let mut after_word_char = false;
    while let Some(c) = body[position..].chars().next() {
        position += c.len_utf8();
        if c != '@' || after_word_char {
            after_word_char = c.is_alphanumeric() || c == '-' || c == '_';
            continue;
        }
        let rest = &body[position..];
        let token_len: usize = rest
            .chars()
            .take_while(|&c| is_nickname_char(c))
            .map(char::len_utf8)
            .sum();
        let token = &rest[..token_len];
        position += token_len;
        after_word_char = !token.is_empty();

        let could_be_nickname = token.chars().next().is_some_and(is_nickname_letter)
            && token.chars().nth(MAX_NICKNAME_CHARS).is_none();
        if could_be_nickname && !mentions.contains(&token) {
            mentions.push(token);
            if mentions.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    mentions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_slug_is_one_rule_for_created_and_seeded_rooms() {
        for good in [
            "paris",
            "fans-de-zoe",
            "30-40-ans",
            "a",
            &"x".repeat(MAX_ROOM_SLUG_BYTES),
        ] {
            assert!(is_room_slug(good), "{good}");
        }
        for bad in [
            "",
            "Paris",
            "-paris",
            "paris-",
            "fans--zoe",
            "été",
            "salon 2",
            &"x".repeat(MAX_ROOM_SLUG_BYTES + 1),
        ] {
            assert!(!is_room_slug(bad), "{bad:?}");
        }
        // What members' room names turn into always passes.
        for name in [
            "Café  du  coin",
            "Fans de Zoé",
            "Les 30-40 ans",
            &"long ".repeat(6),
        ] {
            let slug = room_slug(name).unwrap_or_default();
            assert!(
                slug.is_empty() || is_room_slug(&slug),
                "{name:?} -> {slug:?}"
            );
        }
    }

    fn is_irc_safe_slug(slug: &str) -> bool {
        !slug.is_empty()
            && slug.len() <= MAX_ROOM_SLUG_BYTES
            && slug.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    }

    #[test]
    fn room_slugs() {
        let table: &[(&str, Result<&str, RoomNameRefusal>)] = &[
            ("Fans de Zoé", Ok("fans-de-zoe")),
            ("Café  du  coin", Ok("cafe-du-coin")),
            ("  Paris  ", Ok("paris")),
            ("L'Auberge", Ok("l-auberge")),
            ("L’Auberge espagnole", Ok("l-auberge-espagnole")),
            (
                "--Rock__&__roll--",
                Err(RoomNameRefusal::ForbiddenCharacter),
            ),
            ("--Rock _ - roll--", Ok("rock-roll")),
            ("Les 40 ans", Ok("les-40-ans")),
            ("Cœur d'Île-de-France", Ok("coeur-d-ile-de-france")),
            ("ÉTÉ 2026", Ok("ete-2026")),
            ("p\u{0430}ris", Ok("paris")),
            ("a", Err(RoomNameRefusal::TooShort)),
            ("   a   ", Err(RoomNameRefusal::TooShort)),
            ("", Err(RoomNameRefusal::TooShort)),
            (
                "abcdefghijklmnopqrstuvwxyzabcd",
                Ok("abcdefghijklmnopqrstuvwxyzabcd"),
            ),
            (
                "abcdefghijklmnopqrstuvwxyzabcde",
                Err(RoomNameRefusal::TooLong),
            ),
            ("Salut !", Err(RoomNameRefusal::ForbiddenCharacter)),
            ("#général", Err(RoomNameRefusal::ForbiddenCharacter)),
            ("a\u{200D}b", Err(RoomNameRefusal::ForbiddenCharacter)),
            ("a\u{3164}b", Err(RoomNameRefusal::ForbiddenCharacter)),
            ("a\tb", Err(RoomNameRefusal::ForbiddenCharacter)),
            ("a/b", Err(RoomNameRefusal::ForbiddenCharacter)),
            ("- _ '", Err(RoomNameRefusal::EmptySlug)),
        ];
        for (name, expected) in table {
            let slug = room_slug(name);
            assert_eq!(slug.as_deref().map_err(|e| *e), *expected, "{name:?}");
            if let Ok(slug) = slug {
                assert!(is_irc_safe_slug(&slug), "{slug:?}");
            }
        }
    }

    #[test]
    fn slugs_lengthened_by_folding_are_cut() {
        // Each `œ` folds to the two bytes `oe`.
        let table = [
            (
                format!("{} x", "œ".repeat(14)),
                format!("{}-x", "oe".repeat(14)),
            ),
            (format!("{} x", "œ".repeat(15)), "oe".repeat(15)),
            (
                format!("a{} x", "œ".repeat(14)),
                format!("a{}", "oe".repeat(14)),
            ),
            ("œ".repeat(30), "oe".repeat(15)),
        ];
        for (name, expected) in table {
            assert_eq!(
                room_slug(&name).as_deref(),
                Ok(expected.as_str()),
                "{name:?}"
            );
        }
    }

    #[test]
    fn every_accepted_room_name_gives_a_safe_slug() {
        let names = [
            "東京 fans",
            "Ζωή",
            "Дмитрий и друзья",
            "محمد",
            "Straße 5",
            "ß ß",
            "東京",
        ];
        for name in names {
            match room_slug(name) {
                Ok(slug) => assert!(is_irc_safe_slug(&slug), "{name:?} -> {slug:?}"),
                Err(refusal) => assert_eq!(refusal, RoomNameRefusal::EmptySlug, "{name:?}"),
            }
        }
    }

    #[test]
    fn lookalike_rooms_share_a_key() {
        let same = [
            ("paris", "p\u{0430}ris"),
            ("salon-10", "salon-lo"),
            ("belle-ile", "belle-lle"),
        ];
        for (a, b) in same {
            let (a, b) = (room_slug(a), room_slug(b));
            assert_eq!(a.as_deref().map(room_key), b.as_deref().map(room_key));
        }
        let distinct = [("salon-2", "salon-3"), ("paris", "pari"), ("marc", "mark")];
        for (a, b) in distinct {
            assert_ne!(room_key(a), room_key(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn mentions() {
        let table: &[(&str, &[&str])] = &[
            ("@bob salut", &["bob"]),
            ("salut @bob", &["bob"]),
            ("salut @Zoé, ça va ?", &["Zoé"]),
            ("@Bob's cat", &["Bob"]),
            ("(@alice) et @jean-noël_: coucou", &["alice", "jean-noël_"]),
            ("écris à bob@example.com", &[]),
            ("salut@bob", &[]),
            ("x-@bob x_@bob", &[]),
            ("@@bob", &["bob"]),
            ("@ bob", &[]),
            ("@", &[]),
            ("à 15h @15h @-bob @_bob", &[]),
            ("@bob @bob @Bob", &["bob", "Bob"]),
            (
                "@abcdefghijklmnopqrst @abcdefghijklmnopqrstu",
                &["abcdefghijklmnopqrst"],
            ),
            ("@a\u{200D}b", &["a"]),
            ("@bob@alice", &["bob"]),
            ("\u{1F600}@bob", &["bob"]),
        ];
        for (body, expected) in table {
            assert_eq!(mentioned_nicks(body), *expected, "{body:?}");
        }
    }

    #[test]
    fn at_most_ten_distinct_mentions() {
        let body: String = (0..30).map(|i| format!("@u{i} @u{i} ")).collect();
        let mentions = mentioned_nicks(&body);
        let expected: Vec<String> = (0..MAX_MENTIONS).map(|i| format!("u{i}")).collect();
        assert_eq!(mentions, expected);
    }
}

/// Whether a ban or exception mask names this nickname. A mask is a
/// nickname, or a pattern with `*` and `?` (an IRC `nick!user@host` mask is
/// read for its nickname part). A plain nickname matches with the same
/// folding as uniqueness, so a ban on `Admin` also holds `ADMlN`; a pattern
/// matches the folded nickname case-insensitively.
pub fn mask_matches(mask: &str, nick: &str) -> bool {
    let nick_part = mask.split('!').next().unwrap_or(mask);
    if nick_part.contains(['*', '?']) {
        wildcard_match(nick_part, nick)
            || wildcard_match(
                &nick_part.to_lowercase(),
                &crate::nickname::nickname_key(nick),
            )
    } else {
        crate::nickname::nickname_key(nick_part) == crate::nickname::nickname_key(nick)
    }
}

/// Matches `*` (any run) and `?` (any one character), case-insensitively.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod mask_tests {
    use super::*;

    #[test]
    fn masks_match_nicknames_plain_folded_and_with_wildcards() {
        let cases = [
            ("Admin", "ADMlN", true),
            ("bob", "Bob", true),
            ("bob", "bobby", false),
            ("bob*", "Bobby", true),
            ("*by", "Bobby", true),
            ("b?b", "bob", true),
            ("b?b", "bobo", false),
            ("troll*!*@*", "Troll42", true),
            ("*", "anyone", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
        ];
        for (mask, nick, expected) in cases {
            assert_eq!(mask_matches(mask, nick), expected, "{mask} vs {nick}");
        }
    }

    #[test]
    fn wildcards_match_any_text_in_any_case_and_fold_nothing() {
        // What IRC's LIST masks need of channel names: `*` and `?`, any case,
        // the whole text (a `!` is a character like another), and no folding
        // of lookalikes, which is for nicknames (`mask_matches`).
        let cases = [
            ("#par*", "#Paris", true),
            ("#PAR?S", "#paris", true),
            ("#p?", "#paris", false),
            ("#?aris", "#aris", false),
            ("*", "", true),
            ("", "", true),
            ("?", "", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("#été*", "#ÉTÉ-2026", true),
            ("#a!b", "#a!b", true),
            ("#*l*", "#paris1", false),
            ("#*o*", "#h3ll0", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                wildcard_match(pattern, text),
                expected,
                "{pattern} vs {text}"
            );
        }
        // The nickname matcher folds and reads `nick!user@host`: not for LIST.
        assert!(mask_matches("#*l*", "#paris1"));
        assert!(!mask_matches("#a!b", "#a!b"));
    }
}
