//! Throwaway databases and a runner for the `mot` binary.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use mysql_async::prelude::Queryable;
use mysql_async::{Opts, OptsBuilder};

pub fn server_url() -> String {
    std::env::var("MOT_TEST_DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// A database name unique to this test, dropped with the value.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    pub fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "mot_cli_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        Self { name }
    }

    /// Runs `mot` with this database selected through `DATABASE_URL`.
    pub fn mot(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_mot"))
            .args(args)
            .env("DATABASE_URL", format!("{}/{}", server_url(), self.name))
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        eprintln!(
            "mot {args:?} exited {:?}\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let opts = OptsBuilder::from_opts(Opts::from_url(&server_url()).unwrap())
            .db_name(Some(self.name.clone()));
        let sql = sql.to_owned();
        run(async move {
            let mut conn = mysql_async::Conn::new(opts).await.unwrap();
            let rows: Vec<mysql_async::Row> = conn.query(sql).await.unwrap();
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
        })
    }

    pub fn count(&self, table: &str) -> u64 {
        self.query(&format!("SELECT COUNT(*) FROM {table}"))[0][0]
            .as_deref()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Every data row in key order, for comparing whole databases.
    pub fn dump(&self) -> Vec<Vec<Option<String>>> {
        let mut rows = self.query("SELECT * FROM vehicles ORDER BY id");
        rows.extend(self.query("SELECT * FROM mot_tests ORDER BY vehicle_id, test_index"));
        rows.extend(
            self.query("SELECT * FROM defects ORDER BY vehicle_id, test_index, defect_index"),
        );
        rows
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        run(async move {
            if let Ok(mut conn) =
                mysql_async::Conn::new(Opts::from_url(&server_url()).unwrap()).await
            {
                let _ = conn
                    .query_drop(format!("DROP DATABASE IF EXISTS {name}"))
                    .await;
                let _ = conn.disconnect().await;
            }
        });
    }
}

fn run<T: Send + 'static>(future: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    })
    .join()
    .unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}
