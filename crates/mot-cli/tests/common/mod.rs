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
        query_on(&server_url(), Some(&self.name), sql)
    }

    pub fn count(&self, table: &str) -> u64 {
        self.query(&format!("SELECT COUNT(*) FROM {table}"))[0][0]
            .as_deref()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Returns every data row in key order, for comparing whole databases.
    pub fn dump(&self) -> Vec<Vec<Option<String>>> {
        dump_with(|sql| self.query(sql))
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

/// Returns every data row of the three tables in key order, read with `query`.
fn dump_with(query: impl Fn(&str) -> Vec<Vec<Option<String>>>) -> Vec<Vec<Option<String>>> {
    let mut rows = query("SELECT * FROM vehicles ORDER BY id");
    rows.extend(query(
        "SELECT * FROM mot_tests ORDER BY vehicle_id, test_index",
    ));
    rows.extend(query(
        "SELECT * FROM defects ORDER BY vehicle_id, test_index, defect_index",
    ));
    rows
}

/// Points a `mot` command at a running API stand-in, with the client id,
/// client secret and API key it accepts.
pub fn use_standin(
    command: &mut Command,
    server: &mot_standin::RunningStandIn,
    (client_id, client_secret, api_key): (&str, &str, &str),
) {
    command
        .env("DVLA_API_URL", server.base_url())
        .env("DVLA_TOKEN_URL", server.token_url())
        .env("DVLA_TENANT_ID", server.tenant_id())
        .env("DVLA_CLIENT_ID", client_id)
        .env("DVLA_CLIENT_SECRET", client_secret)
        .env("DVLA_API_KEY", api_key);
}

/// Prefix of the databases that fault tests create on a shared server.
pub const HOSTILE_PREFIX: &str = "mot_hostile_";

/// Runs `sql` against database `db` (or none) on the server at `server`.
pub fn query_on(server: &str, db: Option<&str>, sql: &str) -> Vec<Vec<Option<String>>> {
    let opts =
        OptsBuilder::from_opts(Opts::from_url(server).unwrap()).db_name(db.map(str::to_owned));
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

/// A uniquely named database on any server, dropped with the value.
pub struct ServerDb {
    /// Server URL without a database, such as `mysql://root@127.0.0.1:3306`.
    pub server: String,
    pub name: String,
    /// `FAILED_DIR` of every run, so no test moves files into the
    /// working directory.
    folders: tempfile::TempDir,
}

impl ServerDb {
    pub fn new(server: &str, prefix: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "{prefix}{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        Self {
            server: server.to_owned(),
            name,
            folders: tempfile::tempdir().unwrap(),
        }
    }

    /// A database on the server named by `MOT_TEST_DATABASE_URL`, named
    /// with [`HOSTILE_PREFIX`].
    pub fn shared() -> Self {
        Self::new(&server_url(), HOSTILE_PREFIX)
    }

    /// Returns a database of a given name on `server`, dropped with the value.
    pub fn named(server: String, name: &str) -> Self {
        Self {
            server,
            name: name.to_owned(),
            folders: tempfile::tempdir().unwrap(),
        }
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    /// Runs `mot` with this database selected through `DATABASE_URL`.
    pub fn mot(&self, args: &[&str]) -> Output {
        let output = self.command(args).output().unwrap();
        eprintln!(
            "mot {args:?} exited {:?}\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Builds a `mot` command with this database selected, to run or spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mot"));
        command
            .args(args)
            .env("DATABASE_URL", self.url())
            .env("FAILED_DIR", self.folders.path().join("failed"))
            .env_remove("RUST_LOG");
        command
    }

    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        query_on(&self.server, Some(&self.name), sql)
    }

    pub fn count(&self, table: &str) -> u64 {
        self.query(&format!("SELECT COUNT(*) FROM {table}"))[0][0]
            .as_deref()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Returns every data row in key order, for comparing whole databases.
    pub fn dump(&self) -> Vec<Vec<Option<String>>> {
        dump_with(|sql| self.query(sql))
    }
}

impl Drop for ServerDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        run(async move {
            if let Ok(mut conn) = mysql_async::Conn::new(Opts::from_url(&server).unwrap()).await {
                let _ = conn
                    .query_drop(format!("DROP DATABASE IF EXISTS {name}"))
                    .await;
                let _ = conn.disconnect().await;
            }
        });
    }
}

/// Longest a test's own server may run; `timeout` stops it after this
/// even when the test process dies without stopping it.
const OWN_SERVER_SECONDS: &str = "1200";

/// A MariaDB server of the test's own, on a free 127.0.0.1 port with its
/// data directory under `dir`, stopped when dropped.
pub struct MariaDb {
    dir: std::path::PathBuf,
    pub port: u16,
    args: Vec<String>,
    child: Option<std::process::Child>,
}

impl MariaDb {
    /// Creates a data directory under `dir` and starts a server with the
    /// extra `mariadbd` options `args`, such as `--max-allowed-packet=1M`.
    pub fn start_in(dir: &Path, args: &[&str]) -> Self {
        let datadir = dir.join("data");
        let install = Command::new("mariadb-install-db")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", datadir.display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--innodb-log-file-size=8M",
            ])
            .output()
            .expect("mariadb-install-db must be installed (Debian package mariadb-server)");
        assert!(
            install.status.success(),
            "mariadb-install-db failed: {}",
            String::from_utf8_lossy(&install.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            dir: dir.to_owned(),
            port,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            child: None,
        };
        server.launch();
        server
    }

    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let dir = &self.dir;
        let child = Command::new("timeout")
            .args([
                "--signal=TERM",
                OWN_SERVER_SECONDS,
                "mariadbd",
                "--no-defaults",
            ])
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--socket={}", dir.join("mariadb.sock").display()))
            .arg(format!("--pid-file={}", dir.join("mariadb.pid").display()))
            .arg(format!("--log-error={}", dir.join("mariadb.err").display()))
            .arg(format!("--port={}", self.port))
            .args([
                "--user=root",
                "--bind-address=127.0.0.1",
                "--innodb-log-file-size=8M",
                "--innodb-buffer-pool-size=64M",
                "--local-infile=1",
            ])
            .args(&self.args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("mariadbd must be installed (Debian package mariadb-server)");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        for _ in 0..120 {
            let ping = Command::new("mariadb-admin")
                .args([
                    "--no-defaults",
                    "--protocol=TCP",
                    "-h",
                    "127.0.0.1",
                    "-u",
                    "root",
                ])
                .arg(format!("--port={}", self.port))
                .arg("ping")
                .output()
                .unwrap();
            if ping.status.success() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("mariadbd exited with {status}: {}", self.error_log());
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        panic!("mariadbd did not answer in 60 s: {}", self.error_log());
    }

    /// The server's error log, for failure messages.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("mariadb.err")).unwrap_or_default()
    }

    /// Stops the server with SIGTERM (a clean shutdown) and waits for it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // `timeout` passes SIGTERM on to mariadbd and exits with it.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..600 {
            if child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("mariadb.pid")) {
            let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Stops the server and starts it again on the same data and port.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// A counter from `SHOW GLOBAL STATUS`, such as `Aborted_clients`.
    pub fn status(&self, name: &str) -> u64 {
        let rows = query_on(
            &self.url(),
            None,
            &format!("SHOW GLOBAL STATUS LIKE '{name}'"),
        );
        rows[0][1].as_deref().unwrap().parse().unwrap()
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.stop();
    }
}

static ZEROS: [u8; 4 << 20] = [0; 4 << 20];

/// Writes all-zero buffers as holes, so a multi-gigabyte zip member of
/// zeros takes almost no disk.
struct SparseWriter {
    file: std::fs::File,
    position: u64,
    end: u64,
}

impl std::io::Write for SparseWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use std::io::Seek;
        // Slice equality is a memcmp, fast even in an unoptimised test.
        if buf.len() <= ZEROS.len() && buf == &ZEROS[..buf.len()] {
            self.file
                .seek(std::io::SeekFrom::Current(buf.len() as i64))?;
        } else {
            self.file.write_all(buf)?;
        }
        self.position += buf.len() as u64;
        self.end = self.end.max(self.position);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl std::io::Seek for SparseWriter {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.position = self.file.seek(to)?;
        Ok(self.position)
    }
}

/// Writes a ZIP64 archive whose first member, `padding_0.bin`, is `zeros`
/// bytes of zeros stored as a hole, so that the member `last_name` starts
/// beyond that offset while the file takes almost no disk.
pub fn write_sparse_zip64(path: &Path, zeros: u64, last_name: &str, last_data: &[u8]) {
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    let sparse = SparseWriter {
        file: std::fs::File::create(path).unwrap(),
        position: 0,
        end: 0,
    };
    let mut writer = zip::ZipWriter::new(sparse);
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    writer
        .start_file("padding_0.bin", stored.large_file(true))
        .unwrap();
    let mut left = zeros;
    while left > 0 {
        let n = usize::try_from(left.min(ZEROS.len() as u64)).unwrap();
        writer.write_all(&ZEROS[..n]).unwrap();
        left -= n as u64;
    }
    writer.start_file(last_name, stored).unwrap();
    writer.write_all(last_data).unwrap();
    let sparse = writer.finish().unwrap();
    sparse.file.set_len(sparse.end).unwrap();
}
