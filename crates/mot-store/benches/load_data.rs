//! Round trip of one bulk batch through the server: `MemberLoad::write_bulk`
//! (one transaction of `LOAD DATA LOCAL INFILE` into the three tables, the
//! progress row and the commit) and `MemberLoad::finish`. Throughput is in
//! encoded (TSV) bytes sent, at two batch sizes.
//!
//! It needs the server at `MOT_TEST_DATABASE_URL` (default
//! `mysql://root@127.0.0.1:3306`), as the store tests do, and creates and
//! drops a database named `bench_criterion_load_data_<pid>`. When no server
//! accepts a connection within 5 s, it prints why and measures nothing. The rows of the
//! previous iteration are deleted before each iteration, outside the timing.
//!
//! `cargo bench -p mot-store --bench load_data`

mod common;

use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mot_store::{
    ArchiveEntry, BulkBatch, ImportRecord, Kind, LoadMethod, MemberEntry, Opts, OptsBuilder,
    Provenance, RowBatch, Store, StoreOptions, vehicle_id,
};
use mysql_async::prelude::Queryable;
use tokio::runtime::Runtime;

/// Vehicles per batch: a small batch, and the default `--batch-size` of
/// `mot load`.
const SIZES: [usize; 2] = [200, 2_000];

/// Time allowed for the first connection before the bench is skipped.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

fn server_opts() -> Opts {
    let url = std::env::var("MOT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    Opts::from_url(&url).expect("MOT_TEST_DATABASE_URL is not a valid mysql:// URL")
}

/// Connects once and returns why the server cannot be used, if it cannot.
async fn check_server() -> Result<(), String> {
    let connect = mysql_async::Conn::new(server_opts());
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(conn)) => {
            conn.disconnect().await.ok();
            Ok(())
        }
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {CONNECT_TIMEOUT:?}")),
    }
}

async fn run_sql(statement: String) {
    let mut conn = mysql_async::Conn::new(server_opts()).await.expect(
        "cannot connect to MOT_TEST_DATABASE_URL; start the server with scripts/ensure-db.sh",
    );
    conn.query_drop(statement).await.expect("running setup SQL");
    conn.disconnect().await.expect("disconnecting");
}

async fn open_store(database: &str) -> (Store, ImportRecord) {
    run_sql(format!("CREATE DATABASE {database} CHARACTER SET utf8mb4")).await;
    let opts = OptsBuilder::from_opts(server_opts()).db_name(Some(database));
    let options = StoreOptions {
        load_method: LoadMethod::LoadData,
        ..StoreOptions::default()
    };
    let store = Store::connect(opts.into(), &options)
        .await
        .expect("connecting the store");
    store.migrate().await.expect("migrating");

    let archive = ArchiveEntry {
        name: "bench.zip".into(),
        file_created_on: None,
        bytes: 0,
    };
    let member = MemberEntry {
        name: "bench_1.json.gz".into(),
        index: 0,
        kind: Kind::Bulk,
        created_on: None,
        bytes: 0,
        crc32: None,
    };
    let record = store
        .register(&archive, &[member])
        .await
        .expect("registering the member")
        .remove(0);
    (store, record)
}

fn batch(record: &ImportRecord, vehicles: &[mot_model::Vehicle<'_>]) -> BulkBatch {
    let mut rows = RowBatch::new();
    for (line, vehicle) in (1..).zip(vehicles) {
        let provenance = Provenance {
            import_id: record.id,
            line,
        };
        rows.push_vehicle(vehicle_id(provenance), provenance, vehicle)
            .expect("the examples fit their columns");
    }
    BulkBatch {
        rows,
        rejects: Vec::new(),
        first_line: 1,
        last_line: vehicles.len() as u64,
        file_bytes: 0,
    }
}

fn load_data(c: &mut Criterion) {
    let runtime = Runtime::new().expect("starting a tokio runtime");
    if let Err(reason) = runtime.block_on(check_server()) {
        eprintln!(
            "load_data: skipped, cannot connect to the database server at {} ({reason}); \
             start one with scripts/ensure-db.sh or set MOT_TEST_DATABASE_URL",
            describe_server()
        );
        return;
    }
    let database = format!("bench_criterion_load_data_{}", std::process::id());
    let (store, record) = runtime.block_on(open_store(&database));

    let mut group = c.benchmark_group("load_data");
    group.sample_size(10);
    for size in SIZES {
        let vehicles = common::vehicles(size);
        group.throughput(Throughput::Bytes(
            batch(&record, &vehicles).rows.bytes() as u64
        ));
        group.bench_with_input(
            BenchmarkId::new("write_bulk", size),
            &vehicles,
            |b, vehicles| {
                b.iter_batched(
                    || {
                        // Starting the member deletes the rows of the previous
                        // iteration, outside the timing.
                        let load = runtime
                            .block_on(store.begin_member(&record))
                            .expect("starting the member");
                        (load, batch(&record, vehicles))
                    },
                    |(mut load, batch)| {
                        runtime.block_on(async {
                            load.write_bulk(batch).await.expect("writing the batch");
                            load.finish(vehicles.len() as u64).await.expect("finishing")
                        })
                    },
                    BatchSize::PerIteration,
                )
            },
        );
    }
    group.finish();

    runtime.block_on(async {
        store.close().await.expect("closing the store");
        run_sql(format!("DROP DATABASE {database}")).await;
    });
}

/// Describes the server without the password, for messages.
fn describe_server() -> String {
    let opts = server_opts();
    format!(
        "{}@{}:{}",
        opts.user().unwrap_or("(no user)"),
        opts.ip_or_hostname(),
        opts.tcp_port()
    )
}

criterion_group!(benches, load_data);
criterion_main!(benches);
