//! Store behaviour against a real MariaDB or MySQL server, each test in its
//! own database.

mod common;

use common::{EXAMPLES, TestDb, decode_lines};
use mot_store::{
    ArchiveEntry, BulkBatch, DeltaBatch, DeltaLine, Error, ImportRecord, Kind, LoadMethod,
    MemberEntry, Provenance, RowBatch, State, vehicle_id,
};

async fn register(db: &TestDb, archive: &str, member: &str, kind: Kind) -> ImportRecord {
    let archive = ArchiveEntry {
        name: archive.into(),
        file_created_on: None,
        bytes: 100,
    };
    let member = MemberEntry {
        name: member.into(),
        index: 0,
        kind,
        created_on: None,
        bytes: 10,
        crc32: Some(1),
    };
    db.store
        .register(&archive, &[member])
        .await
        .unwrap()
        .remove(0)
}

async fn load_bulk(db: &TestDb, record: &ImportRecord, text: &str) {
    let mut load = db.store.begin_member(record).await.unwrap();
    let mut rows = RowBatch::new();
    let lines = decode_lines(text);
    let last_line = text.lines().count() as u64;
    for (line, vehicle) in &lines {
        let provenance = Provenance {
            import_id: record.id,
            line: *line,
        };
        rows.push_vehicle(vehicle_id(provenance), provenance, vehicle)
            .unwrap();
    }
    let batch = BulkBatch {
        rows,
        rejects: vec![],
        first_line: 1,
        last_line,
        file_bytes: 0,
    };
    load.write_bulk(batch).await.unwrap();
    load.finish(last_line).await.unwrap();
}

async fn apply_delta(db: &TestDb, record: &ImportRecord, text: &str) {
    let mut load = db.store.begin_member(record).await.unwrap();
    let lines = decode_lines(text)
        .into_iter()
        .map(|(line, vehicle)| DeltaLine {
            line,
            byte_offset: 0,
            vehicle,
        })
        .collect();
    let last_line = text.lines().count() as u64;
    load.apply_delta(DeltaBatch {
        lines,
        rejects: vec![],
        last_line,
        file_bytes: 0,
    })
    .await
    .unwrap();
    load.finish(last_line).await.unwrap();
}

fn text(value: &str) -> Option<String> {
    Some(value.to_owned())
}

#[tokio::test]
async fn migrate_is_idempotent() {
    let db = TestDb::new(LoadMethod::Auto).await;
    assert!(db.store.migrate().await.unwrap().is_empty());
    let versions = db
        .dump("SELECT version FROM schema_migrations ORDER BY version")
        .await;
    let shipped: Vec<_> = mot_store::MIGRATIONS
        .iter()
        .map(|m| vec![text(&m.version.to_string())])
        .collect();
    assert_eq!(versions, shipped);
}

#[tokio::test]
async fn examples_load_with_exact_values() {
    for method in [LoadMethod::LoadData, LoadMethod::Insert] {
        let db = TestDb::new(method).await;
        let record = register(&db, "examples.ndjson", "examples.ndjson", Kind::Bulk).await;
        load_bulk(&db, &record, EXAMPLES).await;

        let vehicles = db
            .dump(
                "SELECT id, registration, first_used_date, registration_date, manufacture_date, \
                   primary_colour, secondary_colour, engine_size, make, model, fuel_type, \
                   last_mot_test_date, data_source, last_update_date, modification, source_line \
                   FROM vehicles ORDER BY id",
            )
            .await;
        let base = record.id << 32;
        assert_eq!(vehicles.len(), 3);
        assert_eq!(
            vehicles[0],
            vec![
                text(&(base + 1).to_string()),
                text("AB12CDE"),
                None,
                text("1973-09-21"),
                None,
                text("Beige"),
                None,
                None,
                text("HILLMAN"),
                text("AVENGER"),
                text("Petrol"),
                None,
                text("DVLA"),
                text("2023-12-04"),
                None,
                text("1"),
            ]
        );
        assert_eq!(
            vehicles[1],
            vec![
                text(&(base + 2).to_string()),
                text("AB12CDF"),
                text("2003-03-27"),
                text("2003-03-27"),
                text("2003-03-27"),
                text("Blue"),
                text("Not Stated"),
                text("1461"),
                text("RENAULT"),
                text("CLIO"),
                text("Diesel"),
                text("2017-03-10 12:21:09.000"),
                text("DVSA"),
                None,
                None,
                text("2"),
            ]
        );
        assert_eq!(vehicles[2][14], text("UPDATED"));

        let tests = db
            .dump("SELECT vehicle_id - (vehicle_id >> 32 << 32), test_index, mot_test_number, certificate_number, \
                   completed_date, expiry_date, test_result, odometer_value, odometer_unit, \
                   odometer_result_type, data_source, registration_at_time_of_test, location, defects_listed \
                   FROM mot_tests ORDER BY vehicle_id, test_index")
            .await;
        assert_eq!(tests.len(), 3);
        assert_eq!(
            tests[0],
            vec![
                text("2"),
                text("0"),
                text("100000000001"),
                None,
                text("2015-03-11 11:41:11.000"),
                text("2016-03-10"),
                text("PASSED"),
                text("133230"),
                text("mi"),
                text("READ"),
                text("DVSA"),
                text("AB12CDF"),
                None,
                text("1"),
            ]
        );
        assert_eq!(tests[1][1], text("1"));
        assert_eq!(tests[1][2], text("100000000002"));
        assert_eq!(tests[1][4], tests[0][4]);
        assert_eq!(tests[2][0], text("3"));
        assert_eq!(tests[2][7], text("42366"));
        assert_eq!(tests[2][8], text("mi"));

        let defects = db
            .dump("SELECT vehicle_id - (vehicle_id >> 32 << 32), test_index, defect_index, defect_type, dangerous, text \
                   FROM defects ORDER BY vehicle_id, test_index, defect_index")
            .await;
        assert_eq!(
            defects,
            vec![
                vec![
                    text("2"),
                    text("1"),
                    text("0"),
                    text("ADVISORY"),
                    text("0"),
                    text("")
                ],
                vec![
                    text("2"),
                    text("1"),
                    text("1"),
                    text("ADVISORY"),
                    text("0"),
                    text("lens scuffed")
                ],
                vec![
                    text("3"),
                    text("0"),
                    text("0"),
                    text("ADVISORY"),
                    text("0"),
                    text("Rear Brake pad(s) wearing thin 3mm (3.5.1g)")
                ],
                vec![
                    text("3"),
                    text("0"),
                    text("1"),
                    text("ADVISORY"),
                    text("0"),
                    text(
                        "Windscreen has damage to an area less than a 10mm circle within zone 'A' (8.3.1a)"
                    ),
                ],
            ]
        );

        let log = db.store.imports().await.unwrap();
        assert_eq!(log[0].state, State::Loaded);
        assert_eq!(log[0].counts.vehicles, 3);
        assert_eq!(log[0].counts.tests, 3);
        assert_eq!(log[0].counts.defects, 4);
        assert_eq!(log[0].lines_read, 3);
        assert_eq!(log[0].attempts, 1);
    }
}

#[tokio::test]
async fn special_characters_survive() {
    let db = TestDb::new(LoadMethod::Auto).await;
    let record = register(&db, "a", "a", Kind::Bulk).await;
    let line = r#"{"registration":"X1","make":"tab\there","motTests":[{"defects":[{"text":"back\\slash \"q\" new\nline \r 😀 £ é \u0000 end","type":"MINOR","dangerous":true}]}]}"#;
    load_bulk(&db, &record, line).await;
    let rows = db.dump("SELECT text, dangerous FROM defects").await;
    assert_eq!(
        rows[0][0],
        text("back\\slash \"q\" new\nline \r 😀 £ é \0 end")
    );
    assert_eq!(rows[0][1], text("1"));
    let make = db.dump("SELECT make FROM vehicles").await;
    assert_eq!(make[0][0], text("tab\there"));
}

#[tokio::test]
async fn reloading_a_member_replaces_its_rows() {
    let db = TestDb::new(LoadMethod::Auto).await;
    let record = register(&db, "a.zip", "a_1.json.gz", Kind::Bulk).await;
    load_bulk(&db, &record, EXAMPLES).await;
    let first = db.dump_data().await;
    load_bulk(&db, &record, EXAMPLES).await;
    assert_eq!(db.dump_data().await, first);
    let log = db.store.imports().await.unwrap();
    assert_eq!(log[0].attempts, 2);
    assert_eq!(log[0].counts.vehicles, 3);
}

#[tokio::test]
async fn duplicate_rows_are_caught() {
    let db = TestDb::new(LoadMethod::LoadData).await;
    let record = register(&db, "a", "a", Kind::Bulk).await;
    let mut load = db.store.begin_member(&record).await.unwrap();
    for attempt in 0..2 {
        let mut rows = RowBatch::new();
        for (line, vehicle) in decode_lines(EXAMPLES) {
            let provenance = Provenance {
                import_id: record.id,
                line,
            };
            rows.push_vehicle(vehicle_id(provenance), provenance, &vehicle)
                .unwrap();
        }
        let result = load
            .write_bulk(BulkBatch {
                rows,
                rejects: vec![],
                first_line: 1,
                last_line: 3,
                file_bytes: 0,
            })
            .await;
        if attempt == 0 {
            result.unwrap();
        } else {
            // The same ids again: LOAD DATA LOCAL skips duplicate keys with a
            // warning, and the row count check must notice.
            let error = result.unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::RowCountMismatch {
                        table: "vehicles",
                        sent: 3,
                        written: 0,
                        ..
                    }
                ),
                "{error}"
            );
        }
    }
}

#[tokio::test]
async fn insert_fallback_splits_large_batches() {
    let db = TestDb::new(LoadMethod::Insert).await;
    let record = register(&db, "a", "a", Kind::Bulk).await;
    let lines: String = (0..8_000)
        .map(|n| {
            format!(
                "{{\"registration\":\"R{n}\",\"make\":\"{}\"}}\n",
                "M".repeat(200)
            )
        })
        .collect();
    load_bulk(&db, &record, &lines).await;
    let counts = db.store.table_counts().await.unwrap();
    assert_eq!(counts.vehicles, 8_000);
}

const BULK: &str = r#"{"registration":"AAA","primaryColour":"Red","motTests":[{"motTestNumber":1,"completedDate":"2020-01-01 10:00:00","testResult":"PASSED","defects":[{"text":"a","type":"ADVISORY"}]}]}
{"registration":"BBB","motTests":[{"motTestNumber":2,"completedDate":"2020-01-02 10:00:00","testResult":"FAILED","defects":[]}]}
{"registration":"DUP","primaryColour":"First","motTests":[{"motTestNumber":3,"completedDate":"2020-01-03 10:00:00","testResult":"PASSED"}]}
{"registration":"DUP","primaryColour":"Second","motTests":[{"motTestNumber":4,"completedDate":"2020-01-04 10:00:00","testResult":"PASSED"}]}
{"registration":"NONUM","motTests":[{"completedDate":"2020-01-05 10:00:00","testResult":"PASSED","odometerValue":"100","defects":[{"text":"old","type":"MINOR"}]}]}"#;

const DELTA: &str = r#"{"registration":"AAA","primaryColour":"Blue","modification":"UPDATED","motTests":[{"motTestNumber":10,"completedDate":"2021-01-01 10:00:00","testResult":"PASSED","defects":[{"text":"b","type":"MINOR"},{"text":"c","type":"MINOR"}]}]}
{"registration":"BBB","modification":"DELETED"}
{"registration":"DUP","primaryColour":"Matched","modification":"UPDATED","motTests":[{"motTestNumber":3,"completedDate":"2020-01-03 10:00:00","testResult":"FAILED"}]}
{"registration":"NONUM","modification":"UPDATED","motTests":[{"completedDate":"2020-01-05 10:00:00","testResult":"PASSED","odometerValue":"100","defects":[{"text":"new","type":"MAJOR"}]}]}
{"registration":"NEW","modification":"CREATED","motTests":[{"motTestNumber":20,"completedDate":"2021-02-01 10:00:00","testResult":"PASSED"}]}
{"registration":"NEW","primaryColour":"Later","modification":"UPDATED","motTests":[{"motTestNumber":21,"completedDate":"2021-03-01 10:00:00","testResult":"PASSED"}]}
{"registration":"GONE","modification":"DELETED"}"#;

#[tokio::test]
async fn delta_merges_updates_creates_and_deletes() {
    let db = TestDb::new(LoadMethod::Auto).await;
    let bulk = register(&db, "bulk.zip", "bulk_1.json.gz", Kind::Bulk).await;
    load_bulk(&db, &bulk, BULK).await;
    let delta = register(&db, "delta.zip", "delta_1.json.gz", Kind::Delta).await;
    apply_delta(&db, &delta, DELTA).await;

    let vehicles = db
        .dump("SELECT registration, primary_colour FROM vehicles ORDER BY id")
        .await;
    assert_eq!(
        vehicles,
        vec![
            vec![text("AAA"), text("Blue")],
            vec![text("DUP"), text("Matched")],
            vec![text("DUP"), text("Second")],
            vec![text("NONUM"), None],
            vec![text("NEW"), text("Later")],
        ]
    );

    // AAA keeps test 1 and gains test 10; the matched DUP test 3 changed result.
    let tests = db
        .dump("SELECT v.registration, t.test_index, t.mot_test_number, t.test_result FROM mot_tests t \
               JOIN vehicles v ON v.id = t.vehicle_id ORDER BY t.vehicle_id, t.test_index")
        .await;
    assert_eq!(
        tests,
        vec![
            vec![text("AAA"), text("0"), text("1"), text("PASSED")],
            vec![text("AAA"), text("1"), text("10"), text("PASSED")],
            vec![text("DUP"), text("0"), text("3"), text("FAILED")],
            vec![text("DUP"), text("0"), text("4"), text("PASSED")],
            vec![text("NONUM"), text("0"), None, text("PASSED")],
            vec![text("NEW"), text("0"), text("20"), text("PASSED")],
            vec![text("NEW"), text("1"), text("21"), text("PASSED")],
        ]
    );

    // The test without a number matched on its signature: its defects were replaced.
    let defects = db
        .dump("SELECT v.registration, d.test_index, d.defect_index, d.text FROM defects d \
               JOIN vehicles v ON v.id = d.vehicle_id ORDER BY d.vehicle_id, d.test_index, d.defect_index")
        .await;
    assert_eq!(
        defects,
        vec![
            vec![text("AAA"), text("0"), text("0"), text("a")],
            vec![text("AAA"), text("1"), text("0"), text("b")],
            vec![text("AAA"), text("1"), text("1"), text("c")],
            vec![text("NONUM"), text("0"), text("0"), text("new")],
        ]
    );
    let orphans = db
        .dump("SELECT COUNT(*) FROM mot_tests WHERE vehicle_id NOT IN (SELECT id FROM vehicles)")
        .await;
    assert_eq!(orphans[0][0], text("0"));

    let log = db.store.imports().await.unwrap();
    let delta_log = log.iter().find(|r| r.kind == Kind::Delta).unwrap();
    assert_eq!(delta_log.counts.vehicles_deleted, 1);
    assert_eq!(delta_log.state, State::Loaded);
}

#[tokio::test]
async fn delta_applied_twice_changes_nothing() {
    let db = TestDb::new(LoadMethod::Auto).await;
    let bulk = register(&db, "bulk.zip", "bulk_1.json.gz", Kind::Bulk).await;
    load_bulk(&db, &bulk, BULK).await;
    let delta = register(&db, "delta.zip", "delta_1.json.gz", Kind::Delta).await;
    apply_delta(&db, &delta, DELTA).await;
    let once = db.dump_data().await;

    // Again as the same member (a retry), and as another file with the same
    // lines (an export that rolled into the next day's delta).
    apply_delta(&db, &delta, DELTA).await;
    assert_eq!(db.dump_data().await, once);
    let overlap = register(&db, "delta2.zip", "delta2_1.json.gz", Kind::Delta).await;
    apply_delta(&db, &overlap, DELTA).await;
    let again = db.dump_data().await;
    // Only provenance columns may differ: the vehicle rows now name the
    // second file as their last writer.
    let strip = |rows: Vec<Vec<Option<String>>>| -> Vec<Vec<Option<String>>> {
        rows.into_iter()
            .map(|mut row| {
                if row.len() == 17 {
                    row.truncate(15);
                }
                row
            })
            .collect()
    };
    assert_eq!(strip(again), strip(once));
}

#[tokio::test]
async fn register_detects_changed_content() {
    let db = TestDb::new(LoadMethod::Auto).await;
    let record = register(&db, "a.zip", "a_1.json.gz", Kind::Bulk).await;
    load_bulk(&db, &record, EXAMPLES).await;
    let same = register(&db, "a.zip", "a_1.json.gz", Kind::Bulk).await;
    assert_eq!(same.state, State::Loaded);

    let archive = ArchiveEntry {
        name: "a.zip".into(),
        file_created_on: None,
        bytes: 100,
    };
    let changed = MemberEntry {
        name: "a_1.json.gz".into(),
        index: 0,
        kind: Kind::Bulk,
        created_on: None,
        bytes: 10,
        crc32: Some(2),
    };
    let records = db.store.register(&archive, &[changed]).await.unwrap();
    assert_eq!(records[0].state, State::Downloaded);
    assert_eq!(records[0].id, record.id);
}

#[tokio::test]
async fn interrupted_migration_runs_again() {
    let db = TestDb::new(LoadMethod::Auto).await;
    // As if the process died after the DDL ran but before it was recorded.
    db.dump("DELETE FROM schema_migrations").await;
    let applied = db.store.migrate().await.unwrap();
    let shipped: Vec<u32> = mot_store::MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(applied, shipped);
}

#[tokio::test]
async fn indexes_dropped_only_when_empty() {
    let db = TestDb::new(LoadMethod::Auto).await;
    let count = "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY' \
                 AND TABLE_NAME IN ('vehicles', 'mot_tests', 'defects')";
    assert!(db.store.drop_indexes_if_empty().await.unwrap());
    assert_eq!(db.dump(count).await[0][0], text("0"));
    db.store.ensure_indexes().await.unwrap();
    assert_eq!(db.dump(count).await[0][0], text("2"));

    let record = register(&db, "a", "a", Kind::Bulk).await;
    load_bulk(&db, &record, EXAMPLES).await;
    assert!(!db.store.drop_indexes_if_empty().await.unwrap());
    assert_eq!(db.dump(count).await[0][0], text("2"));
}
