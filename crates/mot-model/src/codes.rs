//! Closed sets of codes, normalised to one spelling, with unknown values
//! kept as `Other`.

use std::borrow::Cow;

/// Declares a code enum whose known variants match case-insensitively and
/// whose unknown values are kept verbatim in `Other`.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $canonical:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name<'a> {
            $( $(#[$vmeta])* $variant, )+
            /// A value outside the known set, kept as found.
            Other(Cow<'a, str>),
        }

        impl<'a> $name<'a> {
            /// Every known variant, in declaration order.
            pub const KNOWN: &'static [$name<'static>] = &[$($name::$variant),+];

            /// Maps a value to its variant, ignoring ASCII case; unknown values
            /// become `Other`.
            pub fn from_text(text: Cow<'a, str>) -> Self {
                $(
                    if text.eq_ignore_ascii_case($canonical) $(|| text.eq_ignore_ascii_case($alias))* {
                        return Self::$variant;
                    }
                )+
                Self::Other(text)
            }

            /// The canonical spelling stored in the database.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $canonical, )+
                    Self::Other(text) => text,
                }
            }

            /// Copies any borrowed text so the value outlives its input.
            pub fn into_owned(self) -> $name<'static> {
                match self {
                    $( Self::$variant => $name::$variant, )+
                    Self::Other(text) => $name::Other(Cow::Owned(text.into_owned())),
                }
            }
        }
    };
}

code_enum! {
    /// Outcome of an MOT test (`testResult`).
    TestResult {
        /// `PASSED`.
        Passed => "PASSED",
        /// `FAILED`.
        Failed => "FAILED",
    }
}

code_enum! {
    /// Unit of an odometer reading (`odometerUnit`), seen in both cases.
    OdometerUnit {
        /// Miles: `mi` or `MI`.
        Miles => "mi",
        /// Kilometres: `km` or `KM`.
        Kilometres => "km",
    }
}

code_enum! {
    /// Whether the odometer was read (`odometerResultType`).
    OdometerResultType {
        /// The reading is valid. The bulk files spell it `OK`, the API `READ`.
        Read => "READ" | "OK",
        /// The odometer could not be read.
        Unreadable => "UNREADABLE",
        /// The vehicle has no odometer.
        NoOdometer => "NO_ODOMETER",
    }
}

code_enum! {
    /// The system a record or test came from (`dataSource`).
    DataSource {
        /// Driver and Vehicle Standards Agency, Great Britain MOT tests.
        Dvsa => "DVSA",
        /// Driver and Vehicle Licensing Agency: vehicle details only.
        Dvla => "DVLA",
        /// Driver and Vehicle Agency, Northern Ireland.
        DvaNi => "DVA NI",
        /// Commercial Vehicle Service: heavy vehicle annual tests.
        Cvs => "CVS",
    }
}

code_enum! {
    /// Category of a defect (`type`).
    DefectType {
        /// Advisory notice, not a failure.
        Advisory => "ADVISORY",
        /// Minor defect.
        Minor => "MINOR",
        /// Major defect: the test fails.
        Major => "MAJOR",
        /// Dangerous defect: the test fails.
        Dangerous => "DANGEROUS",
        /// Failure item under the rules before May 2018.
        Fail => "FAIL",
        /// Failure rectified at the station within an hour of the test.
        Prs => "PRS",
        /// Defect without a specific rule reference.
        NonSpecific => "NON SPECIFIC",
        /// Note added by the testing system.
        SystemGenerated => "SYSTEM GENERATED",
        /// Free text added by the tester.
        UserEntered => "USER ENTERED",
    }
}

code_enum! {
    /// Change a delta line describes (`modification`).
    Modification {
        /// A vehicle new to the data set.
        Created => "CREATED",
        /// A vehicle whose details changed or that has a new test.
        Updated => "UPDATED",
        /// A vehicle removed from the data set.
        Deleted => "DELETED",
    }
}

/// Identifier of an MOT test (`motTestNumber`).
///
/// Great Britain tests carry a 12-digit number, written as a JSON number in
/// the files and as a string by the per-vehicle API. Commercial vehicle
/// tests carry alphanumeric certificate numbers such as `W05Q79998`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TestNumber<'a> {
    /// A decimal number that fits in 64 bits.
    Numeric(u64),
    /// Any other identifier, kept as found.
    Text(Cow<'a, str>),
}

impl<'a> TestNumber<'a> {
    /// Reads a test number written as a string.
    ///
    /// Only canonical decimal text (no sign, no leading zero) becomes
    /// [`TestNumber::Numeric`], so converting back yields the same text.
    pub fn from_text(text: Cow<'a, str>) -> Self {
        let canonical = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && (text.len() == 1 || !text.starts_with('0'));
        match text.parse::<u64>() {
            Ok(number) if canonical => Self::Numeric(number),
            _ => Self::Text(text),
        }
    }

    /// Copies any borrowed text so the value outlives its input.
    pub fn into_owned(self) -> TestNumber<'static> {
        match self {
            Self::Numeric(number) => TestNumber::Numeric(number),
            Self::Text(text) => TestNumber::Text(Cow::Owned(text.into_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_ignore_case() {
        assert_eq!(OdometerUnit::from_text("MI".into()), OdometerUnit::Miles);
        assert_eq!(
            OdometerUnit::from_text("Km".into()),
            OdometerUnit::Kilometres
        );
        assert_eq!(DataSource::from_text("dva ni".into()), DataSource::DvaNi);
        assert_eq!(
            OdometerResultType::from_text("OK".into()),
            OdometerResultType::Read
        );
    }

    #[test]
    fn codes_keep_unknown_values() {
        let unit = OdometerUnit::from_text("furlong".into());
        assert_eq!(unit, OdometerUnit::Other("furlong".into()));
        assert_eq!(unit.as_str(), "furlong");
    }

    #[test]
    fn test_number_text_forms() {
        assert_eq!(
            TestNumber::from_text("100000000014".into()),
            TestNumber::Numeric(100_000_000_014)
        );
        assert_eq!(
            TestNumber::from_text("W05Q79998".into()),
            TestNumber::Text("W05Q79998".into())
        );
        assert_eq!(
            TestNumber::from_text("0012".into()),
            TestNumber::Text("0012".into())
        );
        assert_eq!(
            TestNumber::from_text("99999999999999999999".into()),
            TestNumber::Text("99999999999999999999".into())
        );
    }
}
