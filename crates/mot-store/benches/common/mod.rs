//! Vehicles shared by the store benches: the examples of
//! `testdata/examples.ndjson`, each copied many times with its test list
//! repeated up to 16 times (real vehicles have about nine tests).

use mot_model::Vehicle;

const EXAMPLES: &str = include_str!("../../../../testdata/examples.ndjson");

/// Returns `count` owned vehicles cycling through the examples.
pub fn vehicles(count: usize) -> Vec<Vehicle<'static>> {
    let examples: Vec<Vehicle<'static>> = EXAMPLES
        .lines()
        .map(|line| {
            let mut bytes = line.as_bytes().to_vec();
            let vehicle: Vehicle =
                simd_json::serde::from_slice(&mut bytes).expect("the examples decode");
            vehicle.into_owned()
        })
        .collect();
    (0..count)
        .map(|number| {
            let mut vehicle = examples[number % examples.len()].clone();
            let tests = std::mem::take(&mut vehicle.mot_tests);
            if !tests.is_empty() {
                let repeat = 1 + number % 16;
                vehicle.mot_tests = (0..repeat)
                    .map(|index| tests[index % tests.len()].clone())
                    .collect();
            }
            vehicle
        })
        .collect()
}
