//! Error codes: the stable names of every refusal, with their texts.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal => $fr:literal, $en:literal;)*) => {
        /// Every reason the server may give for refusing a request or closing.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        #[ts(export)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable wire name (`too_slow`), as serialised.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $wire,)* }
            }

            /// The text shown to a French-speaking user.
            pub fn message_fr(self) -> &'static str {
                match self { $(ErrorCode::$variant => $fr,)* }
            }

            /// The text shown to an English-speaking user.
            pub fn message_en(self) -> &'static str {
                match self { $(ErrorCode::$variant => $en,)* }
            }
        }
    };
}

error_codes! {
    // Frames.
    /// The frame is not valid JSON, or not a JSON object.
    BadJson = "bad_json" => "Message illisible : ce n'est pas du JSON valide.", "Unreadable frame: not valid JSON.";
    /// The frame is not valid UTF-8.
    InvalidUtf8 = "invalid_utf8" => "Message illisible : le texte n'est pas en UTF-8 valide.", "Unreadable frame: text is not valid UTF-8.";
    /// The `type` names no known command.
    UnknownCommand = "unknown_command" => "Commande inconnue.", "Unknown command.";
    /// A required field is missing.
    MissingField = "missing_field" => "Un champ obligatoire manque.", "A required field is missing.";
    /// A field has the wrong type or an impossible value.
    InvalidField = "invalid_field" => "Un champ a une valeur invalide.", "A field has an invalid value.";
    /// The frame is larger than the frame limit.
    FrameTooLarge = "frame_too_large" => "Message trop volumineux.", "Frame too large.";
    /// The client announced a protocol version this server does not speak.
    ProtocolVersion = "protocol_version" => "Version du protocole non prise en charge : rechargez la page.", "Unsupported protocol version: reload the page.";
    // Entry.
    /// The command needs a session: send `enter` first.
    NotEntered = "not_entered" => "Entrez d'abord dans le chat.", "Enter the chat first.";
    /// `enter` was sent twice on one connection.
    AlreadyEntered = "already_entered" => "Vous êtes déjà entré.", "You have already entered.";
    /// Someone online already has this nickname or one that looks the same.
    NicknameTaken = "nickname_taken" => "Ce pseudo (ou un pseudo qui lui ressemble) est déjà pris.", "This nickname (or one that looks like it) is taken.";
    /// Wrong length or characters.
    NicknameInvalid = "nickname_invalid" => "Pseudo invalide : 2 à 20 caractères, lettres, chiffres, « - » et « _ », en commençant par une lettre.", "Invalid nickname: 2 to 20 characters, letters, digits, '-' and '_', starting with a letter.";
    /// Reserved for staff or the service.
    NicknameReserved = "nickname_reserved" => "Ce pseudo est réservé.", "This nickname is reserved.";
    /// Offensive.
    NicknameOffensive = "nickname_offensive" => "Ce pseudo n'est pas accepté.", "This nickname is not accepted.";
    /// Below the instance minimum age.
    AgeTooYoung = "age_too_young" => "Vous n'avez pas l'âge minimum pour entrer.", "You are below the minimum age to enter.";
    /// Not a plausible age.
    AgeInvalid = "age_invalid" => "Âge invalide.", "Invalid age.";
    /// Not a known département code.
    DepartmentUnknown = "department_unknown" => "Département inconnu.", "Unknown département.";
    /// The nickname is a member's: entering with it needs their password.
    PasswordRequired = "password_required" => "Ce pseudo appartient à un membre inscrit : indiquez son mot de passe.", "This nickname belongs to a registered member: give its password.";
    /// The password given does not match the member's.
    WrongPassword = "wrong_password" => "Mot de passe incorrect.", "Wrong password.";
    /// The recovery code is not one of the member's, or was already used.
    WrongRecoveryCode = "wrong_recovery_code" => "Code de secours incorrect ou déjà utilisé.", "Wrong or already used recovery code.";
    /// A password was given for a nickname no member has.
    AccountNotFound = "account_not_found" => "Aucun membre inscrit n'a ce pseudo.", "No registered member has this nickname.";
    /// Too many wrong passwords for this nickname or from this address.
    TooManyAttempts = "too_many_attempts" => "Trop d'essais : réessayez un peu plus tard.", "Too many attempts: try again a little later.";
    // Accounts.
    /// The new password is shorter than the instance minimum.
    PasswordTooShort = "password_too_short" => "Mot de passe trop court.", "Password too short.";
    /// The new password is longer than the maximum.
    PasswordTooLong = "password_too_long" => "Mot de passe trop long.", "Password too long.";
    /// The new password is the nickname, or one character repeated.
    PasswordTooWeak = "password_too_weak" => "Mot de passe trop facile à deviner : évitez votre pseudo et les caractères répétés.", "Password too easy to guess: avoid your nickname and repeated characters.";
    /// The e-mail address is not one.
    EmailInvalid = "email_invalid" => "Adresse e-mail invalide.", "Invalid e-mail address.";
    /// `register` by someone who already is a member.
    AlreadyMember = "already_member" => "Vous êtes déjà membre.", "You are already a member.";
    /// An account command by a guest.
    NotMember = "not_member" => "Réservé aux membres inscrits.", "Registered members only.";
    /// An earlier account request of this connection is still being handled.
    Busy = "busy" => "Votre demande précédente est encore en cours : patientez.", "Your previous request is still being handled: please wait.";
    /// The server could not complete the request (a storage failure).
    ServerError = "server_error" => "Erreur du serveur : réessayez plus tard.", "Server error: try again later.";
    // Rooms.
    /// No such room in your band.
    RoomNotFound = "room_not_found" => "Ce salon n'existe pas.", "No such room.";
    /// You are not in this room.
    NotInRoom = "not_in_room" => "Vous n'êtes pas dans ce salon.", "You are not in this room.";
    /// You are already in this room.
    AlreadyInRoom = "already_in_room" => "Vous êtes déjà dans ce salon.", "You are already in this room.";
    /// The room is full.
    RoomFull = "room_full" => "Ce salon est plein.", "This room is full.";
    /// Only registered members may join.
    RoomRegisteredOnly = "room_registered_only" => "Ce salon est réservé aux membres inscrits.", "This room is for registered members only.";
    /// Only operators and voiced members may speak.
    RoomModerated = "room_moderated" => "Ce salon est modéré : seuls les membres autorisés peuvent parler.", "This room is moderated: only allowed members may speak.";
    /// Slow mode: wait before speaking again.
    SlowMode = "slow_mode" => "Mode lent : attendez avant de parler à nouveau.", "Slow mode: wait before speaking again.";
    /// Room name invalid.
    RoomNameInvalid = "room_name_invalid" => "Nom de salon invalide : 2 à 30 caractères, lettres, chiffres, espaces, apostrophes, « - » et « _ ».", "Invalid room name: 2 to 30 characters, letters, digits, spaces, apostrophes, '-' and '_'.";
    /// A room of your band already has this name (or one that looks the same).
    RoomNameTaken = "room_name_taken" => "Un salon porte déjà ce nom.", "A room with this name already exists.";
    /// A ban mask of the room matches you.
    BannedFromRoom = "banned_from_room" => "Vous êtes banni de ce salon.", "You are banned from this room.";
    /// The room is invite-only and you were not invited.
    InviteOnly = "invite_only" => "Ce salon est sur invitation.", "This room is invite-only.";
    /// The room has a key and you gave the wrong one (or none).
    BadRoomKey = "bad_room_key" => "Mauvaise clé pour ce salon.", "Wrong key for this room.";
    /// The away message is too long.
    AwayTooLong = "away_too_long" => "Message d'absence trop long.", "Away message too long.";
    /// Too many rooms joined at once.
    TooManyRooms = "too_many_rooms" => "Vous êtes dans trop de salons à la fois.", "You are in too many rooms at once.";
    /// Only the room's operators may do this.
    NotOperator = "not_operator" => "Seuls les opérateurs du salon peuvent faire cela.", "Only the room's operators may do this.";
    /// The topic is too long.
    TopicTooLong = "topic_too_long" => "Sujet trop long.", "Topic too long.";
    // Staff and sanctions.
    /// Only the site's staff may do this.
    NotStaff = "not_staff" => "Réservé à l'équipe de modération du site.", "Site staff only.";
    /// A member of staff may sanction only someone below their own rank.
    TargetIsStaff = "target_is_staff" => "Cette personne fait partie de l'équipe : seul un rang supérieur peut la sanctionner.", "This person is staff: only a higher rank may sanction them.";
    /// No sanction in force has this id.
    SanctionNotFound = "sanction_not_found" => "Aucune sanction en cours n'a ce numéro.", "No sanction in force has this id.";
    /// The moderation muted me: no message until `retry_after_ms`; `detail` gives the reason.
    Muted = "muted" => "La modération vous a rendu muet : vous ne pouvez pas envoyer de message pour l'instant.", "Moderators muted you: you cannot send messages for now.";
    /// The moderation banned me (also a `closing` reason): `detail` gives
    /// the reason, `retry_after_ms` when the ban ends (absent: for good).
    Banned = "banned" => "La modération vous a banni du site.", "Moderators banned you from the site.";
    /// The address I connect from is muted, because of a sanction of
    /// someone else there (a shared household, school or carrier): no
    /// message until `retry_after_ms`. It names nobody.
    AddressMuted = "address_muted" => "L'adresse de connexion que vous utilisez est restreinte par la modération : vous ne pouvez pas envoyer de message pour l'instant.", "The address you connect from is restricted by the moderators: you cannot send messages for now.";
    /// The address I connect from is banned, because of a sanction of
    /// someone else there (also a `closing` reason): `retry_after_ms` says
    /// when it ends (absent: for good). It names nobody.
    AddressBanned = "address_banned" => "L'adresse de connexion que vous utilisez est bannie par la modération.", "The address you connect from is banned by the moderators.";
    /// The moderation put me out of the site (a `closing` reason); I may come back.
    Kicked = "kicked" => "La modération vous a fait sortir du site.", "Moderators removed you from the site.";
    // Messages.
    /// The message is empty.
    MessageEmpty = "message_empty" => "Message vide.", "Empty message.";
    /// The message is longer than the limit.
    MessageTooLong = "message_too_long" => "Message trop long.", "Message too long.";
    /// The message replied to is not among the room's recent messages.
    ReplyNotFound = "reply_not_found" => "Le message auquel vous répondez n'est plus disponible.", "The message you reply to is no longer available.";
    /// The message was refused by the safety rules.
    MessageBlocked = "message_blocked" => "Message refusé par les règles du salon.", "Message refused by the rules.";
    /// The message is held until a moderator reviews it.
    MessageHeld = "message_held" => "Message retenu : il sera vérifié par la modération.", "Message held for review by moderators.";
    // People.
    /// No such person in your band.
    UserNotFound = "user_not_found" => "Cette personne n'est pas connectée.", "This person is not online.";
    /// The recipient does not accept private messages from you.
    DmRefused = "dm_refused" => "Cette personne n'accepte pas de messages privés.", "This person does not accept private messages.";
    /// `dm_seen` about someone you have exchanged no private message with.
    NoConversation = "no_conversation" => "Aucune conversation avec cette personne.", "No conversation with this person.";
    /// A private message to yourself.
    DmSelf = "dm_self" => "Vous ne pouvez pas vous écrire à vous-même.", "You cannot write to yourself.";
    // Connection.
    /// Too many unreadable frames in a row.
    TooManyBadFrames = "too_many_bad_frames" => "Trop de messages illisibles : connexion fermée.", "Too many unreadable frames: connection closed.";
    /// The connection did not read its messages fast enough.
    TooSlow = "too_slow" => "Connexion trop lente : elle a été fermée.", "Connection too slow: it was closed.";
    /// Nothing came from the client for too long (`limits.idle_timeout_secs`).
    IdleTimeout = "idle_timeout" => "Plus de nouvelles de votre appareil : connexion fermée.", "Nothing heard from your device: connection closed.";
    /// The server is shutting down.
    ShuttingDown = "shutting_down" => "Le serveur redémarre : reconnexion dans un instant.", "The server is restarting: reconnecting shortly.";
    /// The server is at its connection limit.
    ServerFull = "server_full" => "Le serveur est complet : réessayez plus tard.", "The server is full: try again later.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_both_texts_and_a_distinct_wire_name() {
        let mut names = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(!code.message_fr().is_empty() && !code.message_en().is_empty());
            let name = serde_json::to_string(code).unwrap_or_default();
            assert_eq!(name, format!("\"{}\"", code.as_str()));
            assert!(names.insert(name), "{code:?}");
        }
    }
}
