//! French départements (and "abroad"): the codes a person may give at entry.
//!
//! The table is the official list of INSEE codes: 01–95 without 20 (split into
//! 2A and 2B in 1976), the overseas 971–976, plus [`ABROAD`] for people who
//! live outside France. Names are given for pickers and profile cards.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

/// The code a person gives when they live outside France.
pub const ABROAD: &str = "etranger";

/// Every accepted code with its name, in the order a picker shows them.
pub const DEPARTMENTS: &[(&str, &str)] = &[
    ("01", "Ain"),
    ("02", "Aisne"),
    ("03", "Allier"),
    ("04", "Alpes-de-Haute-Provence"),
    ("05", "Hautes-Alpes"),
    ("06", "Alpes-Maritimes"),
    ("07", "Ardèche"),
    ("08", "Ardennes"),
    ("09", "Ariège"),
    ("10", "Aube"),
    ("11", "Aude"),
    ("12", "Aveyron"),
    ("13", "Bouches-du-Rhône"),
    ("14", "Calvados"),
    ("15", "Cantal"),
    ("16", "Charente"),
    ("17", "Charente-Maritime"),
    ("18", "Cher"),
    ("19", "Corrèze"),
    ("2A", "Corse-du-Sud"),
    ("2B", "Haute-Corse"),
    ("21", "Côte-d'Or"),
    ("22", "Côtes-d'Armor"),
    ("23", "Creuse"),
    ("24", "Dordogne"),
    ("25", "Doubs"),
    ("26", "Drôme"),
    ("27", "Eure"),
    ("28", "Eure-et-Loir"),
    ("29", "Finistère"),
    ("30", "Gard"),
    ("31", "Haute-Garonne"),
    ("32", "Gers"),
    ("33", "Gironde"),
    ("34", "Hérault"),
    ("35", "Ille-et-Vilaine"),
    ("36", "Indre"),
    ("37", "Indre-et-Loire"),
    ("38", "Isère"),
    ("39", "Jura"),
    ("40", "Landes"),
    ("41", "Loir-et-Cher"),
    ("42", "Loire"),
    ("43", "Haute-Loire"),
    ("44", "Loire-Atlantique"),
    ("45", "Loiret"),
    ("46", "Lot"),
    ("47", "Lot-et-Garonne"),
    ("48", "Lozère"),
    ("49", "Maine-et-Loire"),
    ("50", "Manche"),
    ("51", "Marne"),
    ("52", "Haute-Marne"),
    ("53", "Mayenne"),
    ("54", "Meurthe-et-Moselle"),
    ("55", "Meuse"),
    ("56", "Morbihan"),
    ("57", "Moselle"),
    ("58", "Nièvre"),
    ("59", "Nord"),
    ("60", "Oise"),
    ("61", "Orne"),
    ("62", "Pas-de-Calais"),
    ("63", "Puy-de-Dôme"),
    ("64", "Pyrénées-Atlantiques"),
    ("65", "Hautes-Pyrénées"),
    ("66", "Pyrénées-Orientales"),
    ("67", "Bas-Rhin"),
    ("68", "Haut-Rhin"),
    ("69", "Rhône"),
    ("70", "Haute-Saône"),
    ("71", "Saône-et-Loire"),
    ("72", "Sarthe"),
    ("73", "Savoie"),
    ("74", "Haute-Savoie"),
    ("75", "Paris"),
    ("76", "Seine-Maritime"),
    ("77", "Seine-et-Marne"),
    ("78", "Yvelines"),
    ("79", "Deux-Sèvres"),
    ("80", "Somme"),
    ("81", "Tarn"),
    ("82", "Tarn-et-Garonne"),
    ("83", "Var"),
    ("84", "Vaucluse"),
    ("85", "Vendée"),
    ("86", "Vienne"),
    ("87", "Haute-Vienne"),
    ("88", "Vosges"),
    ("89", "Yonne"),
    ("90", "Territoire de Belfort"),
    ("91", "Essonne"),
    ("92", "Hauts-de-Seine"),
    ("93", "Seine-Saint-Denis"),
    ("94", "Val-de-Marne"),
    ("95", "Val-d'Oise"),
    ("971", "Guadeloupe"),
    ("972", "Martinique"),
    ("973", "Guyane"),
    ("974", "La Réunion"),
    ("975", "Saint-Pierre-et-Miquelon"),
    ("976", "Mayotte"),
    (ABROAD, "Hors de France"),
];

/// A validated département code. Only [`Department::parse`] makes one, so a
/// value of this type is always in [`DEPARTMENTS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, TS)]
#[ts(type = "string")]
pub struct Department(&'static str);

impl Department {
    /// Accepts a code from [`DEPARTMENTS`]; `2a`/`2b` are accepted in lower case.
    pub fn parse(code: &str) -> Option<Department> {
        let code = code.trim();
        DEPARTMENTS
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(code))
            .map(|(known, _)| Department(known))
    }

    /// The code, as in [`DEPARTMENTS`].
    pub fn code(self) -> &'static str {
        self.0
    }

    /// The French name ("Paris", "Hors de France").
    pub fn name(self) -> &'static str {
        DEPARTMENTS
            .iter()
            .find(|(known, _)| *known == self.0)
            .map_or("", |(_, name)| name)
    }
}

impl fmt::Display for Department {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Department {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Department {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Department::parse(&text).ok_or_else(|| serde::de::Error::custom("unknown département code"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_code_once() {
        // 96 metropolitan codes (01–95 without 20, plus 2A and 2B), 6 overseas, abroad.
        assert_eq!(DEPARTMENTS.len(), 96 + 6 + 1);
        let mut codes: Vec<_> = DEPARTMENTS.iter().map(|(code, _)| *code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), DEPARTMENTS.len());
    }

    #[test]
    fn parse_accepts_known_codes_only() {
        for good in ["01", "75", "2A", "2b", "95", "971", "976", "etranger"] {
            assert!(Department::parse(good).is_some(), "{good}");
        }
        for bad in [
            "", "0", "1", "20", "96", "00", "970", "977", "2C", "abroad", "750",
        ] {
            assert!(Department::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(Department::parse("75").map(Department::name), Some("Paris"));
    }

    /// The web client's département picker is generated from [`DEPARTMENTS`]
    /// (like the ts-rs types), so the two lists can never drift apart. The
    /// file is rewritten only when its text changes; CI checks that the
    /// committed copy is the generated one.
    #[test]
    fn export_typescript_table() -> Result<(), Box<dyn std::error::Error>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../web/src/lib/departements.ts");
        let text = typescript_table()?;
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text)?;
        }
        Ok(())
    }

    fn typescript_table() -> Result<String, serde_json::Error> {
        let mut text = String::from(
            "// Generated from DEPARTMENTS in crates/protocol/src/department.rs by its\n\
             // test `export_typescript_table` (cargo test -p tchatche-protocol). Do not edit.\n\n\
             /** Every accepted département code with its French name, in picker order. */\n\
             export const DEPARTEMENTS: ReadonlyArray<readonly [code: string, name: string]> = [\n",
        );
        for (code, name) in DEPARTMENTS {
            let code = serde_json::to_string(code)?;
            let name = serde_json::to_string(name)?;
            text.push_str(&format!("  [{code}, {name}],\n"));
        }
        text.push_str("];\n\n");
        text.push_str(&format!(
            "/** The code of people who live outside France. */\nexport const ABROAD = {};\n",
            serde_json::to_string(ABROAD)?
        ));
        Ok(text)
    }
}
