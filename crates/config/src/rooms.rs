//! The default room directory: the seeded rooms used when the configuration
//! file lists none. The data lives in `default_rooms.toml`, embedded in the
//! binary, so that it doubles as an example operators can copy.

use serde::Deserialize;

use crate::RoomConfig;

/// The embedded default directory, in the same `[[rooms]]` form as a
/// configuration file.
const DEFAULT_ROOMS_TOML: &str = include_str!("default_rooms.toml");

/// The shape of `default_rooms.toml`: nothing but `[[rooms]]` entries.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultRoomsFile {
    rooms: Vec<RoomConfig>,
}

/// The seeded room directory, in French, grouped by category (Régions, Âges,
/// Rencontres, LGBT+, Jeux, Musique, Sport, Entraide, Discussion).
///
/// Both bands get at least 30 rooms; the teen band has no dating room.
/// The embedded file is checked by the tests, so the list is never empty in
/// a built binary; should it somehow fail to parse, this returns an empty
/// list rather than panicking.
pub fn default_rooms() -> Vec<RoomConfig> {
    parse_default_rooms().unwrap_or_default()
}

/// Parses the embedded directory.
fn parse_default_rooms() -> Result<Vec<RoomConfig>, toml::de::Error> {
    toml::from_str::<DefaultRoomsFile>(DEFAULT_ROOMS_TOML).map(|file| file.rooms)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::RoomBands;

    /// The rooms seeded in one band, `both` rooms included.
    fn rooms_in(band: RoomBands) -> Vec<RoomConfig> {
        default_rooms()
            .into_iter()
            .filter(|room| room.bands == band || room.bands == RoomBands::Both)
            .collect()
    }

    fn is_valid_slug(slug: &str) -> bool {
        !slug.is_empty()
            && slug.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    }

    #[test]
    fn embedded_file_parses() {
        let rooms = parse_default_rooms().unwrap();
        assert_eq!(rooms, default_rooms());
    }

    #[test]
    fn each_band_has_at_least_30_rooms() {
        for band in [RoomBands::Adult, RoomBands::Teen] {
            let n_rooms = rooms_in(band).len();
            assert!(n_rooms >= 30, "{band:?} band has only {n_rooms} rooms");
        }
    }

    #[test]
    fn slugs_are_unique_per_band() {
        for band in [RoomBands::Adult, RoomBands::Teen] {
            let mut seen = HashSet::new();
            for room in rooms_in(band) {
                assert!(
                    seen.insert(room.slug.clone()),
                    "{band:?}: duplicate slug {}",
                    room.slug
                );
            }
        }
    }

    #[test]
    fn slugs_are_usable_as_irc_channel_names() {
        for room in default_rooms() {
            assert!(is_valid_slug(&room.slug), "bad slug {:?}", room.slug);
        }
    }

    #[test]
    fn teen_band_has_no_dating_room() {
        for room in rooms_in(RoomBands::Teen) {
            assert_ne!(
                room.category, "Rencontres",
                "teen room {} is a dating room",
                room.slug
            );
        }
    }

    #[test]
    fn every_room_has_a_name_category_and_topic() {
        for room in default_rooms() {
            assert!(!room.name.trim().is_empty(), "{} has no name", room.slug);
            assert!(
                !room.category.trim().is_empty(),
                "{} has no category",
                room.slug
            );
            assert!(!room.topic.trim().is_empty(), "{} has no topic", room.slug);
        }
    }

    #[test]
    fn categories_are_the_directory_headings() {
        let headings = [
            "Régions",
            "Âges",
            "Rencontres",
            "LGBT+",
            "Jeux",
            "Musique",
            "Sport",
            "Entraide",
            "Discussion",
        ];
        for room in default_rooms() {
            assert!(
                headings.contains(&room.category.as_str()),
                "{}: category {:?}",
                room.slug,
                room.category
            );
        }
    }

    #[test]
    fn no_seeded_room_is_members_only_yet() {
        // Members do not exist yet; a registered-only room would be empty forever.
        assert!(default_rooms().iter().all(|room| !room.registered_only));
    }

    #[test]
    fn announcements_are_moderated_in_both_bands() {
        let annonces = default_rooms()
            .into_iter()
            .find(|room| room.slug == "annonces")
            .unwrap();
        assert_eq!(annonces.bands, RoomBands::Both);
        assert!(annonces.moderated);
    }
}
