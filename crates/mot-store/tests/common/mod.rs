//! A throwaway database per test on the server at `MOT_TEST_DATABASE_URL`
//! (default `mysql://root@127.0.0.1:3306`).

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use mot_model::Vehicle;
use mot_store::{LoadMethod, Opts, OptsBuilder, Store, StoreOptions};
use mysql_async::prelude::Queryable;

pub const EXAMPLES: &str = include_str!("../../../../testdata/examples.ndjson");

pub fn server_url() -> String {
    std::env::var("MOT_TEST_DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// A database created for one test and dropped when the value is dropped.
pub struct TestDb {
    pub name: String,
    pub store: Store,
}

impl TestDb {
    pub async fn new(method: LoadMethod) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "mot_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let server = Opts::from_url(&server_url()).unwrap();
        let mut conn = mysql_async::Conn::new(server.clone()).await.unwrap();
        conn.query_drop(format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
            .await
            .unwrap();
        conn.disconnect().await.unwrap();

        let opts = OptsBuilder::from_opts(server).db_name(Some(name.clone()));
        let options = StoreOptions {
            load_method: method,
            ..StoreOptions::default()
        };
        let store = Store::connect(opts.into(), &options).await.unwrap();
        store.migrate().await.unwrap();
        Self { name, store }
    }

    /// Runs a query and returns every row as text, for exact comparisons.
    pub async fn dump(&self, query: &str) -> Vec<Vec<Option<String>>> {
        let opts = OptsBuilder::from_opts(Opts::from_url(&server_url()).unwrap())
            .db_name(Some(self.name.clone()));
        let mut conn = mysql_async::Conn::new(opts).await.unwrap();
        let rows: Vec<mysql_async::Row> = conn.query(query).await.unwrap();
        conn.disconnect().await.unwrap();
        rows.into_iter()
            .map(|row| {
                row.unwrap()
                    .into_iter()
                    .map(|value| match value {
                        mysql_async::Value::NULL => None,
                        mysql_async::Value::Bytes(bytes) => {
                            Some(String::from_utf8_lossy(&bytes).into_owned())
                        }
                        other => Some(other.as_sql(true)),
                    })
                    .collect()
            })
            .collect()
    }

    /// Every row of the three data tables, in key order.
    pub async fn dump_data(&self) -> Vec<Vec<Option<String>>> {
        let mut all = self.dump("SELECT * FROM vehicles ORDER BY id").await;
        all.extend(
            self.dump("SELECT * FROM mot_tests ORDER BY vehicle_id, test_index")
                .await,
        );
        all.extend(
            self.dump("SELECT * FROM defects ORDER BY vehicle_id, test_index, defect_index")
                .await,
        );
        all
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async code, so the cleanup gets its own runtime.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) =
                    mysql_async::Conn::new(Opts::from_url(&server_url()).unwrap()).await
                {
                    let _ = conn
                        .query_drop(format!("DROP DATABASE IF EXISTS {name}"))
                        .await;
                    let _ = conn.disconnect().await;
                }
            });
        })
        .join()
        .unwrap();
    }
}

/// Decodes NDJSON text into owned vehicles with their line numbers.
pub fn decode_lines(text: &str) -> Vec<(u64, Vehicle<'static>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let mut bytes = line.as_bytes().to_vec();
            let vehicle: Vehicle = simd_json::serde::from_slice(&mut bytes).unwrap();
            (i as u64 + 1, vehicle.into_owned())
        })
        .collect()
}
