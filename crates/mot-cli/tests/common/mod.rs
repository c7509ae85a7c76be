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
    /// `FAILED_DIR` and `DOWNLOAD_DIR` of every run, so no test moves
    /// files into the working directory.
    pub folders: tempfile::TempDir,
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
        Self {
            name,
            folders: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs `mot` with this database selected through `DATABASE_URL`.
    pub fn mot(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_mot"))
            .args(args)
            .env("DATABASE_URL", format!("{}/{}", server_url(), self.name))
            .env("FAILED_DIR", self.folders.path().join("failed"))
            .env("DOWNLOAD_DIR", self.folders.path().join("downloads"))
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

impl TestDb {
    /// Every data row with vehicle ids replaced by their rank, so that two
    /// databases whose `import_log` ids differ (an interrupted insert uses
    /// up an auto-increment value) compare equal when their content is.
    pub fn dump_ranked(&self) -> Vec<Vec<Option<String>>> {
        let rank = "(SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM vehicles) r";
        let mut rows = self.query(&format!(
            "SELECT r.rn, v.registration, v.first_used_date, v.registration_date, v.manufacture_date, \
             v.primary_colour, v.secondary_colour, v.engine_size, v.make, v.model, v.fuel_type, \
             v.last_mot_test_date, v.data_source, v.last_update_date, v.modification, v.source_line \
             FROM vehicles v JOIN {rank} ON r.id = v.id ORDER BY r.rn"
        ));
        rows.extend(self.query(&format!(
            "SELECT r.rn, t.test_index, t.mot_test_number, t.certificate_number, t.completed_date, \
             t.expiry_date, t.test_result, t.odometer_value, t.odometer_unit, t.odometer_result_type, \
             t.data_source, t.registration_at_time_of_test, t.location, t.defects_listed \
             FROM mot_tests t JOIN {rank} ON r.id = t.vehicle_id ORDER BY r.rn, t.test_index"
        )));
        rows.extend(self.query(&format!(
            "SELECT r.rn, d.test_index, d.defect_index, d.defect_type, d.dangerous, d.text \
             FROM defects d JOIN {rank} ON r.id = d.vehicle_id ORDER BY r.rn, d.test_index, d.defect_index"
        )));
        let orphans = self.query(
            "SELECT (SELECT COUNT(*) FROM mot_tests WHERE vehicle_id NOT IN (SELECT id FROM vehicles)) + \
             (SELECT COUNT(*) FROM defects d WHERE NOT EXISTS (SELECT 1 FROM mot_tests t \
              WHERE t.vehicle_id = d.vehicle_id AND t.test_index = d.test_index))",
        );
        assert_eq!(
            orphans[0][0].as_deref(),
            Some("0"),
            "tests or defects without a parent row"
        );
        rows
    }

    /// Starts `mot` in the background with this database selected.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        Command::new(env!("CARGO_BIN_EXE_mot"))
            .args(args)
            .env("DATABASE_URL", format!("{}/{}", server_url(), self.name))
            .env("FAILED_DIR", self.folders.path().join("failed"))
            .env("DOWNLOAD_DIR", self.folders.path().join("downloads"))
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Kills every server connection using this database, as a server
    /// restart or a network drop would, and returns how many it killed.
    pub fn kill_connections(&self) -> usize {
        let name = self.name.clone();
        run(async move {
            let mut conn = mysql_async::Conn::new(Opts::from_url(&server_url()).unwrap())
                .await
                .unwrap();
            let ids: Vec<u64> = conn
                .exec("SELECT id FROM information_schema.PROCESSLIST WHERE db = ? AND id <> CONNECTION_ID()", (name,))
                .await
                .unwrap();
            for id in &ids {
                let _ = conn.query_drop(format!("KILL CONNECTION {id}")).await;
            }
            conn.disconnect().await.unwrap();
            ids.len()
        })
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
