//! Throughput of `RowBatch::push_vehicle`: the column checks and the
//! encoding of a vehicle, its tests and defects into `LOAD DATA` text.
//! Throughput is in encoded (TSV) bytes, at two batch sizes.
//!
//! `cargo bench -p mot-store --bench encode`

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mot_store::{Provenance, RowBatch, vehicle_id};

/// Vehicles per batch: a small batch, and the default `--batch-size` of
/// `mot load`.
const SIZES: [usize; 2] = [200, 2_000];

fn encode_all(vehicles: &[mot_model::Vehicle<'_>]) -> RowBatch {
    let mut rows = RowBatch::new();
    for (line, vehicle) in (1..).zip(vehicles) {
        let provenance = Provenance { import_id: 1, line };
        rows.push_vehicle(vehicle_id(provenance), provenance, vehicle)
            .expect("the examples fit their columns");
    }
    rows
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in SIZES {
        let vehicles = common::vehicles(size);
        let bytes = encode_all(&vehicles).bytes() as u64;
        group.throughput(Throughput::Bytes(bytes));
        group.bench_with_input(
            BenchmarkId::new("push_vehicle", size),
            &vehicles,
            |b, vehicles| b.iter(|| encode_all(vehicles)),
        );
    }
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
