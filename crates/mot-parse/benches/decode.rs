//! Decoding throughput of `Source` + `Records`: inflate, split lines, parse
//! JSON into `Vehicle`s. Throughput is in uncompressed NDJSON bytes.
//!
//! The input is built from `testdata/examples.ndjson`: each line is a copy
//! of one example with its registration, test numbers, mileages and dates
//! changed and its test list repeated, so that gzip cannot compress whole
//! repeated lines away. Its compression ratio is near that of the
//! generator's archives (about 5 to 1), but real files may differ.
//!
//! `cargo bench -p mot-parse --bench decode`

use std::io::Write;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flate2::Compression;
use flate2::write::GzEncoder;
use mot_parse::{ReadOptions, Source};
use serde_json::Value;

const EXAMPLES: &str = include_str!("../../../testdata/examples.ndjson");

/// Input sizes in uncompressed bytes: a small member and one that does not
/// fit in the CPU caches.
const SIZES: [usize; 2] = [1 << 20, 16 << 20];

/// A small linear congruential generator, so the input is the same on every
/// run without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// Builds at least `bytes` of NDJSON, one varied example per line.
fn synthetic_ndjson(bytes: usize) -> Vec<u8> {
    let examples: Vec<Value> = EXAMPLES
        .lines()
        .map(|line| serde_json::from_str(line).expect("the examples are valid JSON"))
        .collect();
    let mut random = Lcg(1);
    let mut out = Vec::with_capacity(bytes + 4096);
    let mut number = 0u64;
    while out.len() < bytes {
        let mut vehicle = examples[usize::try_from(number).unwrap() % examples.len()].clone();
        vary_vehicle(&mut vehicle, number, &mut random);
        serde_json::to_writer(&mut out, &vehicle).expect("writing to a Vec cannot fail");
        out.push(b'\n');
        number += 1;
    }
    out
}

fn vary_vehicle(vehicle: &mut Value, number: u64, random: &mut Lcg) {
    vehicle["registration"] = Value::from(format!("BN{number:06}"));
    let Some(tests) = vehicle["motTests"].as_array().cloned() else {
        return;
    };
    if tests.is_empty() {
        return;
    }
    // Real vehicles have about nine tests on average; repeat the example's.
    let count = 1 + usize::try_from(random.next(16)).unwrap();
    let varied: Vec<Value> = (0..count)
        .map(|index| {
            let mut test = tests[index % tests.len()].clone();
            test["motTestNumber"] = Value::from(200_000_000_000 + number * 32 + index as u64);
            test["odometerValue"] = Value::from(random.next(250_000).to_string());
            let day = 1 + random.next(28);
            let month = 1 + random.next(12);
            let year = 2006 + random.next(18);
            test["completedDate"] = Value::from(format!(
                "{year}-{month:02}-{day:02} {:02}:{:02}:{:02}",
                random.next(24),
                random.next(60),
                random.next(60)
            ));
            test["expiryDate"] = Value::from(format!("{}-{month:02}-{day:02}", year + 1));
            test
        })
        .collect();
    vehicle["motTests"] = Value::from(varied);
}

fn write_gzip(path: &Path, data: &[u8]) {
    let file = std::fs::File::create(path).expect("creating the gzip input");
    let mut encoder = GzEncoder::new(file, Compression::new(1));
    encoder.write_all(data).expect("writing the gzip input");
    encoder.finish().expect("finishing the gzip input");
}

/// Reads every record of the file's single member and returns the count.
fn decode_file(path: &Path) -> u64 {
    let source = Source::open(path).expect("opening the input");
    let member = &source.members()[0];
    let mut records = source
        .records(member, &ReadOptions::default())
        .expect("reading the member");
    let mut count = 0;
    while let Some(result) = records.next_record() {
        result.expect("every synthetic line decodes");
        count += 1;
    }
    count
}

fn decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("creating a temporary folder");
    let mut group = c.benchmark_group("decode");
    group.sample_size(10);

    for size in SIZES {
        let data = synthetic_ndjson(size);
        let lines = data.iter().filter(|&&byte| byte == b'\n').count() as u64;
        let plain = dir.path().join(format!("{size}.ndjson"));
        let gzip = dir.path().join(format!("{size}.json.gz"));
        std::fs::write(&plain, &data).expect("writing the NDJSON input");
        write_gzip(&gzip, &data);

        group.throughput(Throughput::Bytes(data.len() as u64));
        let label = format!("{}MiB", size >> 20);
        group.bench_with_input(BenchmarkId::new("gzip", &label), &gzip, |b, path| {
            b.iter(|| assert_eq!(decode_file(path), lines));
        });
        group.bench_with_input(BenchmarkId::new("ndjson", &label), &plain, |b, path| {
            b.iter(|| assert_eq!(decode_file(path), lines));
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
