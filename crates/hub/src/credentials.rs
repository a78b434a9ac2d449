//! Member credentials as plain functions: the password and e-mail rules,
//! Argon2id hashing and checking, and recovery codes.
//!
//! Hashing is deliberately slow (tens of milliseconds and tens of MiB), so
//! nothing here is ever called on the hub task: the hub's credential jobs
//! (`accounts.rs`) run it on blocking threads. The rules, by contrast, are
//! cheap and run on the hub before any job starts.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tchatche_protocol::ErrorCode;

/// Longest password accepted, in characters: long passphrases are welcome,
/// but hashing megabytes on request would be a cheap way to burn CPU.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Longest e-mail address (RFC 5321's limit on a path).
const MAX_EMAIL_CHARS: usize = 254;

/// The letters of recovery codes: Crockford's base 32 (no I, L, O, U), so a
/// code read aloud or copied by hand is hard to get wrong.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Letters per recovery code, shown in groups of four: 12 letters of base 32
/// are 60 random bits, far beyond guessing within the failed-login limits.
const CODE_LETTERS: usize = 12;

/// Why a new password is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordRefusal {
    /// Shorter than the instance minimum.
    TooShort,
    /// Longer than [`MAX_PASSWORD_CHARS`].
    TooLong,
    /// The nickname itself, or one character repeated.
    TooWeak,
}

impl PasswordRefusal {
    /// The error code a client gets.
    pub fn code(self) -> ErrorCode {
        match self {
            PasswordRefusal::TooShort => ErrorCode::PasswordTooShort,
            PasswordRefusal::TooLong => ErrorCode::PasswordTooLong,
            PasswordRefusal::TooWeak => ErrorCode::PasswordTooWeak,
        }
    }
}

/// Checks a new password for a member named `nick`.
pub fn check_new_password(
    password: &str,
    nick: &str,
    min_chars: usize,
) -> Result<(), PasswordRefusal> {
    let chars = password.chars().count();
    if chars < min_chars {
        return Err(PasswordRefusal::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordRefusal::TooLong);
    }
    let lowered = password.to_lowercase();
    let nick = nick.to_lowercase();
    let mut letters = lowered.chars();
    let first = letters.next();
    if lowered.contains(&nick) || letters.all(|letter| Some(letter) == first) {
        return Err(PasswordRefusal::TooWeak);
    }
    Ok(())
}

/// Checks and tidies an optional e-mail address: trimmed, one `@` with
/// something on both sides, a dot in the domain, no spaces. Empty means none.
/// (Only a mail sent to it could prove more.)
pub fn check_email(email: Option<&str>) -> Result<Option<String>, ErrorCode> {
    let Some(email) = email.map(str::trim).filter(|email| !email.is_empty()) else {
        return Ok(None);
    };
    let valid = email.chars().count() <= MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain
                    .split_once('.')
                    .is_some_and(|(name, tld)| !name.is_empty() && !tld.is_empty())
                && !domain.ends_with('.')
        });
    if valid {
        Ok(Some(email.to_owned()))
    } else {
        Err(ErrorCode::EmailInvalid)
    }
}

/// Argon2id with the instance's cost, for passwords and recovery codes.
#[derive(Clone, Debug)]
pub struct PasswordHashing {
    params: Params,
}

/// Hashing failed: only with impossible parameters, or an RNG failure.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashingFailed(String);

impl PasswordHashing {
    /// Argon2id (version 0x13) with `memory_kib` of memory, `iterations`
    /// passes and one lane (parallelism comes from hashing several
    /// passwords at once, each on its own thread).
    pub fn new(memory_kib: u32, iterations: u32) -> Result<PasswordHashing, HashingFailed> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|error| HashingFailed(error.to_string()))?;
        Ok(PasswordHashing { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string (`$argon2id$v=19$m=…`) of `secret` with a fresh salt.
    pub fn hash(&self, secret: &str) -> Result<String, HashingFailed> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(secret.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| HashingFailed(error.to_string()))
    }

    /// Whether `secret` matches a PHC string. The string's own parameters
    /// are used, so hashes made before a cost change still verify. An
    /// unreadable stored hash matches nothing.
    pub fn verify(&self, secret: &str, phc: &str) -> bool {
        PasswordHash::new(phc).is_ok_and(|parsed| {
            self.argon2()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        })
    }
}

/// A fresh recovery code, `XXXX-XXXX-XXXX` in Crockford's base 32.
pub fn new_recovery_code() -> String {
    let mut bytes = [0_u8; CODE_LETTERS];
    OsRng.fill_bytes(&mut bytes);
    let mut code = String::with_capacity(CODE_LETTERS + 2);
    for (index, byte) in bytes.iter().enumerate() {
        if index > 0 && index % 4 == 0 {
            code.push('-');
        }
        // 256 is a multiple of 32: taking the low five bits is unbiased.
        code.push(char::from(CODE_ALPHABET[usize::from(byte & 31)]));
    }
    code
}

/// A recovery code as typed, in the form it was hashed: upper case, dashes
/// and spaces dropped, and the letters people confuse read as Crockford
/// says (`O` is `0`, `I` and `L` are `1`). Whatever is not a code letter is
/// kept, so it simply fails to match.
pub fn normalise_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        let cases = [
            ("correct horse", Ok(())),
            ("court", Err(PasswordRefusal::TooShort)),
            ("aaaaaaaaaaaa", Err(PasswordRefusal::TooWeak)),
            ("xxAliceAlicexx", Err(PasswordRefusal::TooWeak)),
            ("mon-alice-2024", Err(PasswordRefusal::TooWeak)),
            ("ééééééééééé1", Ok(())),
        ];
        for (password, expected) in cases {
            assert_eq!(
                check_new_password(password, "Alice", 10),
                expected,
                "{password:?}"
            );
        }
        let long = "ab".repeat(MAX_PASSWORD_CHARS);
        assert_eq!(
            check_new_password(&long, "Alice", 10),
            Err(PasswordRefusal::TooLong)
        );
        // Characters, not bytes: nine accented letters are nine.
        assert_eq!(
            check_new_password("éèêëàâîïô", "Alice", 10),
            Err(PasswordRefusal::TooShort)
        );
    }

    #[test]
    fn email_rules() {
        assert_eq!(check_email(None), Ok(None));
        assert_eq!(check_email(Some("  ")), Ok(None));
        assert_eq!(
            check_email(Some(" alice@example.org ")),
            Ok(Some("alice@example.org".into()))
        );
        for bad in [
            "alice",
            "@example.org",
            "alice@",
            "alice@example",
            "alice@example.",
            "al ice@example.org",
            "a@b@example.org",
        ] {
            assert_eq!(
                check_email(Some(bad)),
                Err(ErrorCode::EmailInvalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn hashes_verify_only_their_secret_and_are_salted() {
        // The smallest cost Argon2 accepts keeps this test fast.
        let hashing = PasswordHashing::new(8, 1).unwrap();
        let first = hashing.hash("correct horse").unwrap();
        let second = hashing.hash("correct horse").unwrap();
        assert!(first.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{first}");
        assert_ne!(first, second, "each hash has its own salt");
        assert!(hashing.verify("correct horse", &first));
        assert!(!hashing.verify("Correct horse", &first));
        assert!(!hashing.verify("correct horse", "not a hash"));
        // A hash made with another cost still verifies.
        let other = PasswordHashing::new(16, 2).unwrap();
        assert!(other.verify("correct horse", &first));
    }

    #[test]
    fn recovery_codes_are_grouped_base32_and_normalise_back() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2, "{code}");
        assert!(
            code.chars()
                .all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8)))
        );
        assert_ne!(code, new_recovery_code());
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalise_recovery_code(&typed), code.replace('-', ""));
        assert_eq!(normalise_recovery_code("o1il-0000"), "01110000");
    }
}
