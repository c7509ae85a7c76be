//! TLS to the database: `--db-ssl-mode` and `--db-ssl-ca` against a
//! MariaDB server of the test's own with a certificate from a throwaway CA,
//! and a user that the server admits only over TLS.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{MariaDb, stderr};

/// Writes `ca.pem`, `server-key.pem` and `server-cert.pem` (issued for
/// 127.0.0.1) into `dir` with the openssl command.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl not found; install the openssl package");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=mot test CA",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server-key.pem",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca-key.pem",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.cnf",
        "-out",
        "server-cert.pem",
    ]);
}

/// A server that offers TLS, with a user `tls_only` that must use it.
struct TlsServer {
    _dir: tempfile::TempDir,
    certs: tempfile::TempDir,
    server: MariaDb,
}

impl TlsServer {
    fn start() -> Self {
        let certs = tempfile::tempdir().unwrap();
        make_certificates(certs.path());
        let arg =
            |name: &str, file: &str| format!("--{name}={}", certs.path().join(file).display());
        let dir = tempfile::tempdir().unwrap();
        let server = MariaDb::start_in(
            dir.path(),
            &[
                &arg("ssl-ca", "ca.pem"),
                &arg("ssl-cert", "server-cert.pem"),
                &arg("ssl-key", "server-key.pem"),
            ],
        );
        for statement in [
            "CREATE USER 'tls_only'@'127.0.0.1' IDENTIFIED BY 'tls-password' REQUIRE SSL",
            "GRANT ALL ON `mot_tls`.* TO 'tls_only'@'127.0.0.1'",
        ] {
            common::query_on(&server.url(), None, statement);
        }
        Self {
            _dir: dir,
            certs,
            server,
        }
    }

    fn ca(&self) -> String {
        self.certs.path().join("ca.pem").display().to_string()
    }

    /// Builds a `mot ARGS` command connecting as `tls_only` through `url`, or
    /// through the plain URL of the database `mot_tls` when `None`.
    fn command(&self, args: &[&str], url: Option<&str>) -> Command {
        let plain = format!(
            "mysql://tls_only:tls-password@127.0.0.1:{}/mot_tls",
            self.server.port
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_mot"));
        command
            .args(args)
            .env("DATABASE_URL", url.unwrap_or(&plain))
            .env("FAILED_DIR", self.certs.path().join("failed"))
            .env_remove("DB_SSL_MODE")
            .env_remove("DB_SSL_CA")
            .env_remove("RUST_LOG");
        command
    }

    /// Runs `mot migrate` as `tls_only` with `args` added.
    fn migrate(&self, args: &[&str]) -> Output {
        let output = self
            .command(&[&["migrate"], args].concat(), None)
            .output()
            .unwrap();
        eprintln!("mot migrate {args:?}: {}", stderr(&output));
        output
    }
}

#[test]
fn tls_modes_against_server_requiring_tls() {
    let tls = TlsServer::start();

    // Loopback defaults to plain TCP, which this user may not use.
    for args in [&[][..], &["--db-ssl-mode", "disabled"]] {
        let output = tls.migrate(args);
        assert_ne!(output.status.code(), Some(0));
        assert!(
            stderr(&output).contains("Access denied"),
            "{}",
            stderr(&output)
        );
    }

    let output = tls.migrate(&["--db-ssl-mode", "required"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let ca = tls.ca();
    for mode in ["verify-ca", "verify-identity"] {
        let output = tls.migrate(&["--db-ssl-mode", mode, "--db-ssl-ca", &ca]);
        assert_eq!(output.status.code(), Some(0), "{mode}: {}", stderr(&output));
    }

    // Without the CA, the server's certificate is not trusted.
    let output = tls.migrate(&["--db-ssl-mode", "verify-ca"]);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("cannot connect to the database at 127.0.0.1"),
        "{}",
        stderr(&output)
    );

    // A CA file with a mode that would not check it is a usage error.
    let output = tls.migrate(&["--db-ssl-mode", "required", "--db-ssl-ca", &ca]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--db-ssl-ca is set"));
}

#[test]
fn database_url_require_ssl_honoured() {
    let tls = TlsServer::start();
    let url = format!(
        "mysql://tls_only:tls-password@127.0.0.1:{}/mot_tls?require_ssl=true&verify_ca=false",
        tls.server.port
    );
    let output = tls.command(&["migrate"], Some(&url)).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
