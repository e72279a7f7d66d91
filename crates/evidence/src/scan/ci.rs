//! Whether an ASCII-case-insensitive literal occurs in a short haystack, fast:
//! memchr finds the literal's rarest letter (either case), and only there is
//! the whole literal compared. On log lines and SIP bodies this beats an
//! Aho-Corasick scan, which steps through every byte.
//!
//! Semantics are those of `AhoCorasick` built with `ascii_case_insensitive`:
//! ASCII letters match either case, every other byte matches itself.

/// One literal, prepared for searching.
#[derive(Debug, Clone)]
pub struct CiLiteral {
    lit: Vec<u8>,
    /// Offset in `lit` of the byte searched for.
    at: usize,
    lower: u8,
    upper: u8,
}

/// Letters from most to least frequent in English, with `x` moved up for
/// XML (`xmlns`): a later letter is rarer.
const BY_FREQUENCY: &[u8] = b"etaoinsrhldcumfpgwybxvkjqz";

fn rarity(b: u8) -> usize {
    match BY_FREQUENCY
        .iter()
        .position(|&c| c == b.to_ascii_lowercase())
    {
        Some(i) => i + 1,
        // Digits, spaces and punctuation are common in logs; other bytes
        // (non-ASCII) are rare.
        None if b.is_ascii() => 0,
        None => BY_FREQUENCY.len() + 1,
    }
}

impl CiLiteral {
    pub fn new(literal: &str) -> CiLiteral {
        let lit = literal.as_bytes().to_vec();
        let at = lit
            .iter()
            .enumerate()
            .max_by_key(|&(_, &b)| rarity(b))
            .map_or(0, |(i, _)| i);
        let b = lit.get(at).copied().unwrap_or(0);
        CiLiteral {
            at,
            lower: b.to_ascii_lowercase(),
            upper: b.to_ascii_uppercase(),
            lit,
        }
    }

    /// Whether the literal occurs anywhere in `hay` (an empty literal always does).
    pub fn occurs_in(&self, hay: &[u8]) -> bool {
        let n = self.lit.len();
        if n == 0 {
            return true;
        }
        if hay.len() < n {
            return false;
        }
        // Where the searched byte can sit for the literal to fit.
        let Some(window) = hay.get(self.at..hay.len() - (n - 1 - self.at)) else {
            return false;
        };
        memchr::memchr2_iter(self.lower, self.upper, window).any(|i| {
            hay.get(i..i + n)
                .is_some_and(|h| h.eq_ignore_ascii_case(&self.lit))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::AhoCorasick;

    #[test]
    fn agrees_with_aho_corasick() {
        let lits = [
            "ews",
            "offlineim",
            "autodiscover",
            "ews information",
            "provisiongroup",
            "otheroptions",
            "é-x",
            "1",
            "",
        ];
        let hays = [
            "",
            "e",
            "ews",
            "EWS",
            "nEwStAte",
            "OfflineIM: queued",
            "offlineI",
            "xx AutoDiscover: EWS Information: ok",
            "<P:ProvisionGroup name=",
            "<otherOptions>",
            "É-X é-X é-x",
            "abc1",
            "provisiongrou",
            "ppprovisiongroupp",
        ];
        for l in lits {
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build([l])
                .unwrap();
            let ci = CiLiteral::new(l);
            for h in hays {
                assert_eq!(ci.occurs_in(h.as_bytes()), ac.is_match(h), "{l:?} in {h:?}");
            }
        }
    }

    #[test]
    fn searches_the_rarest_letter() {
        assert_eq!(CiLiteral::new("ews").at, 1);
        assert_eq!(CiLiteral::new("provisiongroup").at, 3);
    }
}
