//! The stable rule ids (BRIEF §4). A finding names its rule by one of these,
//! never by a string, so a rule id that has no catalog entry cannot compile
//! (the catalog checks its order against [`RuleId::ALL`] at compile time).

use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

macro_rules! rule_ids {
    ($($v:ident = $s:literal),* $(,)?) => {
        /// A rule, by its stable id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($v,)*
        }

        impl RuleId {
            /// Every rule, in catalog order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$v,)*];

            /// `OIM030`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$v => $s,)*
                }
            }
        }
    };
}

rule_ids! {
    Oim001 = "OIM001",
    Oim002 = "OIM002",
    Oim003 = "OIM003",
    Oim004 = "OIM004",
    Oim010 = "OIM010",
    Oim011 = "OIM011",
    Oim012 = "OIM012",
    Oim013 = "OIM013",
    Oim014 = "OIM014",
    Oim020 = "OIM020",
    Oim021 = "OIM021",
    Oim022 = "OIM022",
    Oim023 = "OIM023",
    Oim030 = "OIM030",
    Oim031 = "OIM031",
    Oim032 = "OIM032",
    Oim033 = "OIM033",
    Oim034 = "OIM034",
    Oim035 = "OIM035",
    Oim036 = "OIM036",
    Oim040 = "OIM040",
    Oim050 = "OIM050",
    Oim051 = "OIM051",
    Oim052 = "OIM052",
    Oim060 = "OIM060",
    Oim061 = "OIM061",
    Oim062 = "OIM062",
}

impl RuleId {
    /// The rule a person typed: `OIM030`, `oim030`, or its number alone
    /// (`30`, `030`).
    pub fn parse(typed: &str) -> Option<RuleId> {
        let t = typed.trim();
        let full: Cow<str> = match t.parse::<u16>() {
            Ok(n) if !t.starts_with('+') => Cow::Owned(format!("OIM{n:03}")),
            _ => Cow::Borrowed(t),
        };
        RuleId::ALL
            .iter()
            .copied()
            .find(|r| r.as_str().eq_ignore_ascii_case(&full))
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// In the report's schema a rule id is a string, as it always was.
impl schemars::JsonSchema for RuleId {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "RuleId".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_ids_are_read_in_any_case_or_by_number() {
        assert_eq!(RuleId::parse("OIM030"), Some(RuleId::Oim030));
        assert_eq!(RuleId::parse(" oim030 "), Some(RuleId::Oim030));
        assert_eq!(RuleId::parse("30"), Some(RuleId::Oim030));
        assert_eq!(RuleId::parse("030"), Some(RuleId::Oim030));
        assert_eq!(RuleId::parse("+30"), None);
        assert_eq!(RuleId::parse("OIM999"), None);
        assert_eq!(
            serde_json::to_string(&RuleId::Oim001).unwrap(),
            "\"OIM001\""
        );
    }

    #[test]
    fn ids_are_in_order_and_each_once() {
        assert!(RuleId::ALL
            .windows(2)
            .all(|w| w[0].as_str() < w[1].as_str()));
    }
}
