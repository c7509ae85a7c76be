//! Registrations and MOT test numbers derived from integer codes.
//!
//! Each mapping is a bijection on its code space, so distinct codes always give distinct
//! strings and the expected-count model can compare codes in place of strings.

/// Plates in the current format `AB12CDE`: 2 letters, 2 digits, 3 letters.
const CURRENT_PLATES: u64 = 26 * 26 * 100 * 26 * 26 * 26;
/// Plates in the prefix format `A123BCD` and in the suffix format `ABC123D`, each with a
/// number from 1 to 999.
const PREFIX_PLATES: u64 = 26 * 999 * 26 * 26 * 26;
/// Size of the registration code space: the three formats never produce the same string.
const PLATE_SPACE: u64 = CURRENT_PLATES + 2 * PREFIX_PLATES;
/// A prime that does not divide [`PLATE_SPACE`], so multiplying by it permutes the space.
const PLATE_MULTIPLIER: u64 = 1_000_000_007;
/// Added before the permutation so that code 0 is not `AA00AAA`.
const PLATE_OFFSET: u64 = 123_456_789;

/// Registration codes of bulk vehicles are their line index, below this bound.
pub(crate) const MAX_BULK_VEHICLES: u64 = 1_000_000_000;
/// First code of registrations that the bulk never uses: new vehicles in deltas.
pub(crate) const FRESH_PLATES: u64 = MAX_BULK_VEHICLES;
/// First code of registrations that no valid line uses: DELETED lines for unknown vehicles.
pub(crate) const UNKNOWN_PLATES: u64 = 1_800_000_000;
/// First code of registrations of rejected lines, which no valid line uses either.
pub(crate) const REJECTED_PLATES: u64 = 1_900_000_000;
/// First code of the earlier plates shown in `regMarkTimeOfTest` after a plate transfer.
pub(crate) const EARLIER_PLATES: u64 = 2_000_000_000;
/// Number of codes from [`EARLIER_PLATES`] on.
pub(crate) const EARLIER_PLATE_COUNT: u64 = 100_000_000;

/// Test numbers are 12 digits: 100000000000 plus a permutation of `0..NUMBER_SPACE`.
const NUMBER_SPACE: u64 = 900_000_000_000;
/// Coprime to [`NUMBER_SPACE`] (2^11 * 3^2 * 5^11), so multiplying by it permutes the space.
const NUMBER_MULTIPLIER: u64 = 590_872_612_417;
/// Added before the permutation so that id 0 is not 100000000000.
const NUMBER_OFFSET: u64 = 48_611_237_790;

/// Commercial-vehicle (CVS) certificate numbers such as `W05Q79998`: letter, 2 digits, letter,
/// 5 digits.
pub(crate) const CVS_SPACE: u64 = 26 * 100 * 26 * 100_000;
/// A prime coprime to [`CVS_SPACE`] (2^9 * 5^7 * 13^2).
const CVS_MULTIPLIER: u64 = 1_000_000_007;

/// Returns `(value * multiplier) mod modulus` without overflow.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the result is below `modulus`, a u64"
)]
fn scramble(value: u64, multiplier: u64, modulus: u64) -> u64 {
    ((u128::from(value) * u128::from(multiplier)) % u128::from(modulus)) as u64
}

/// Appends `count` base-26 letters of `value`, most significant first, and returns the rest.
fn push_letters(out: &mut String, mut value: u64, count: u32) -> u64 {
    let start = out.len();
    for _ in 0..count {
        let offset = u8::try_from(value % 26).expect("a remainder of 26 fits in u8");
        out.insert(start, char::from(b'A' + offset));
        value /= 26;
    }
    value
}

/// Returns the registration for `code` (below [`PLATE_SPACE`]): upper case, no spaces.
pub(crate) fn registration(code: u64) -> String {
    debug_assert!(code < PLATE_SPACE);
    let mut value = scramble(
        (code + PLATE_OFFSET) % PLATE_SPACE,
        PLATE_MULTIPLIER,
        PLATE_SPACE,
    );
    let mut plate = String::with_capacity(8);
    if value < CURRENT_PLATES {
        let tail = value % 17_576;
        value /= 17_576;
        let digits = value % 100;
        push_letters(&mut plate, value / 100, 2);
        plate.push_str(&format!("{digits:02}"));
        push_letters(&mut plate, tail, 3);
    } else {
        value -= CURRENT_PLATES;
        let suffix_format = value >= PREFIX_PLATES;
        value %= PREFIX_PLATES;
        let letters = value % 17_576;
        value /= 17_576;
        let number = value % 999 + 1;
        let single = value / 999;
        if suffix_format {
            push_letters(&mut plate, letters, 3);
            plate.push_str(&number.to_string());
            push_letters(&mut plate, single, 1);
        } else {
            push_letters(&mut plate, single, 1);
            plate.push_str(&number.to_string());
            push_letters(&mut plate, letters, 3);
        }
    }
    plate
}

/// Returns the 12-digit MOT test number of test `id` (below 900,000,000,000).
pub(crate) fn test_number(id: u64) -> u64 {
    debug_assert!(id < NUMBER_SPACE);
    100_000_000_000
        + scramble(
            (id + NUMBER_OFFSET) % NUMBER_SPACE,
            NUMBER_MULTIPLIER,
            NUMBER_SPACE,
        )
}

/// Returns a CVS certificate number for test `id`. Ids that differ by less than
/// [`CVS_SPACE`] get different numbers.
pub(crate) fn cvs_number(id: u64) -> String {
    let mut value = scramble(id % CVS_SPACE, CVS_MULTIPLIER, CVS_SPACE);
    let serial = value % 100_000;
    value /= 100_000;
    let second = value % 26;
    value /= 26;
    let digits = value % 100;
    let first = value / 100;
    let mut number = String::with_capacity(9);
    push_letters(&mut number, first, 1);
    number.push_str(&format!("{digits:02}"));
    push_letters(&mut number, second, 1);
    number.push_str(&format!("{serial:05}"));
    number
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn registrations_are_distinct() {
        let codes = (0..20_000).chain(FRESH_PLATES..FRESH_PLATES + 1000);
        let plates: HashSet<String> = codes.clone().map(registration).collect();
        assert_eq!(plates.len(), codes.count());
    }

    #[test]
    fn registrations_use_three_formats() {
        let plates: Vec<String> = (0..2000).map(registration).collect();
        let starts_with_digit_run = |p: &String| p.as_bytes()[1].is_ascii_digit();
        assert!(
            plates
                .iter()
                .any(|p| p.len() == 7 && p.as_bytes()[2].is_ascii_digit())
        );
        assert!(plates.iter().any(starts_with_digit_run));
        assert!(
            plates
                .iter()
                .any(|p| p.as_bytes()[0..3].iter().all(u8::is_ascii_uppercase))
        );
        assert!(
            plates
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric()))
        );
    }

    #[test]
    fn last_plate_code_is_valid() {
        let plate = registration(PLATE_SPACE - 1);
        assert!(!plate.is_empty());
    }

    #[test]
    fn test_numbers_have_twelve_digits() {
        let numbers: HashSet<u64> = (0..10_000).map(test_number).collect();
        assert_eq!(numbers.len(), 10_000);
        assert!(
            numbers
                .iter()
                .all(|n| (100_000_000_000..1_000_000_000_000).contains(n))
        );
    }

    #[test]
    fn cvs_numbers_have_the_real_shape() {
        let number = cvs_number(12_345);
        let bytes = number.as_bytes();
        assert_eq!(bytes.len(), 9);
        assert!(bytes[0].is_ascii_uppercase());
        assert!(bytes[1..3].iter().all(u8::is_ascii_digit));
        assert!(bytes[3].is_ascii_uppercase());
        assert!(bytes[4..].iter().all(u8::is_ascii_digit));
    }
}
