//! Database connection settings from flags and the environment.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use mot_store::{LoadMethod, Opts, OptsBuilder, Store, StoreOptions};
use mysql_async::SslOpts;
use mysql_async::prelude::Queryable;

/// Whether and how the connection to the database is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SslMode {
    /// Plain TCP.
    Disabled,
    /// TLS without checking the server's certificate.
    Required,
    /// TLS with a certificate signed by a trusted CA, for any host name.
    VerifyCa,
    /// TLS with a trusted certificate issued for the host name connected to.
    VerifyIdentity,
}

/// Where the database is. `--database-url` wins over the `--db-*` parts.
#[derive(Clone, Args)]
pub struct DbArgs {
    /// Database URL, such as mysql://user:password@host:3306/mot.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// Database server host name or IP address.
    #[arg(long, env = "DB_HOST", default_value = "127.0.0.1", global = true)]
    pub db_host: String,

    /// Database server TCP port.
    #[arg(long, env = "DB_PORT", default_value_t = 3306, global = true)]
    pub db_port: u16,

    /// Database user name.
    #[arg(long, env = "DB_USER", default_value = "root", global = true)]
    pub db_user: String,

    /// Database password. Prefer the environment variable to the flag,
    /// which other users can see in the process list.
    #[arg(long, env = "DB_PASSWORD", hide_env_values = true, global = true)]
    pub db_password: Option<String>,

    /// Database (schema) name. Created if missing.
    #[arg(long, env = "DB_NAME", default_value = "mot", global = true)]
    pub db_name: String,

    /// TLS to the database. Default: disabled for a loopback host, required
    /// for any other, unless DATABASE_URL sets require_ssl.
    #[arg(long, env = "DB_SSL_MODE", value_enum, global = true)]
    pub db_ssl_mode: Option<SslMode>,

    /// PEM file of the CA certificates to trust for verify-ca and
    /// verify-identity, in addition to the system's.
    #[arg(long, env = "DB_SSL_CA", global = true)]
    pub db_ssl_ca: Option<PathBuf>,
}

impl fmt::Debug for DbArgs {
    // The URL and the password field may hold the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbArgs")
            .field("database", &self.describe())
            .field("db_user", &self.db_user)
            .field("db_ssl_mode", &self.db_ssl_mode)
            .field("db_ssl_ca", &self.db_ssl_ca)
            .finish_non_exhaustive()
    }
}

impl DbArgs {
    fn opts(&self) -> Result<(OptsBuilder, String)> {
        let (builder, name) = self.server_opts()?;
        let opts = Opts::from(builder.clone());
        let mode = match (self.db_ssl_mode, opts.ssl_opts()) {
            (Some(mode), _) => mode,
            // DATABASE_URL's require_ssl, verify_ca and verify_identity.
            (None, Some(_)) => return Ok((builder, name)),
            (None, None) if is_loopback(opts.ip_or_hostname()) => SslMode::Disabled,
            (None, None) => SslMode::Required,
        };
        if self.db_ssl_ca.is_some() && matches!(mode, SslMode::Disabled | SslMode::Required) {
            bail!(
                "--db-ssl-ca is set, but --db-ssl-mode is {}; use verify-ca or verify-identity \
                 so that the CA is checked",
                mode.to_possible_value()
                    .map_or_else(String::new, |v| v.get_name().to_owned())
            );
        }
        Ok((builder.ssl_opts(self.ssl_opts(mode)), name))
    }

    fn ssl_opts(&self, mode: SslMode) -> Option<SslOpts> {
        let roots = self
            .db_ssl_ca
            .iter()
            .map(|path| path.clone().into())
            .collect();
        let verified = SslOpts::default().with_root_certs(roots);
        match mode {
            SslMode::Disabled => None,
            SslMode::Required => Some(
                SslOpts::default()
                    .with_danger_accept_invalid_certs(true)
                    .with_danger_skip_domain_validation(true),
            ),
            SslMode::VerifyCa => Some(verified.with_danger_skip_domain_validation(true)),
            SslMode::VerifyIdentity => Some(verified),
        }
    }

    fn server_opts(&self) -> Result<(OptsBuilder, String)> {
        if let Some(url) = &self.database_url {
            // The URL may hold a password: never include it in the message.
            let opts = Opts::from_url(url).map_err(|error| {
                anyhow::anyhow!(
                    "DATABASE_URL is not a valid mysql:// URL ({}); check its format",
                    redact(&error.to_string(), url)
                )
            })?;
            let name = opts
                .db_name()
                .map(str::to_owned)
                .context("DATABASE_URL names no database; add /NAME at its end")?;
            return Ok((OptsBuilder::from_opts(opts), name));
        }
        let builder = OptsBuilder::default()
            .ip_or_hostname(self.db_host.clone())
            .tcp_port(self.db_port)
            .user(Some(self.db_user.clone()))
            .pass(self.db_password.clone())
            .prefer_socket(false);
        Ok((builder, self.db_name.clone()))
    }

    /// Host and database, safe to print.
    pub fn describe(&self) -> String {
        match self.opts() {
            Ok((builder, name)) => {
                let opts = Opts::from(builder);
                format!("{}:{}/{name}", opts.ip_or_hostname(), opts.tcp_port())
            }
            Err(_) => "an invalid DATABASE_URL".to_owned(),
        }
    }

    /// Connects, creating the database when it does not exist yet.
    pub async fn connect(&self, method: LoadMethod, max_connections: usize) -> Result<Store> {
        let (builder, name) = self.opts()?;
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        {
            bail!("database name {name:?} may hold only letters, digits, _ and $");
        }
        let options = StoreOptions {
            load_method: method,
            max_connections,
        };
        let opts = Opts::from(builder.clone().db_name(Some(name.clone())));
        let unreachable = || {
            format!(
                "cannot connect to the database at {}; check DB_HOST, DB_PORT, DB_USER, DB_PASSWORD and DB_SSL_MODE (or DATABASE_URL), and that the server is running",
                self.describe()
            )
        };
        match Store::connect(opts.clone(), &options).await {
            Err(mot_store::Error::Database {
                source: mysql_async::Error::Server(server),
                ..
            }) if server.code == UNKNOWN_DATABASE => {
                create_database(builder, &name)
                    .await
                    .with_context(unreachable)?;
                Store::connect(opts, &options)
                    .await
                    .with_context(unreachable)
            }
            other => other.with_context(unreachable),
        }
    }
}

/// Tells whether `host` names this machine, where traffic never leaves it.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Server error for a database that does not exist.
const UNKNOWN_DATABASE: u16 = 1049;

async fn create_database(builder: OptsBuilder, name: &str) -> Result<()> {
    let mut conn = mysql_async::Conn::new(builder.db_name(None::<String>)).await?;
    // The name is checked above to hold only identifier characters, and an
    // identifier cannot be a statement parameter.
    conn.query_drop(format!(
        "CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    ))
    .await?;
    conn.disconnect().await?;
    Ok(())
}

fn redact(message: &str, url: &str) -> String {
    let mut message = message.replace(url, "[DATABASE_URL]");
    if let Some(password) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
        && !password.is_empty()
    {
        message = message.replace(&password, "[redacted]");
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: Option<&str>) -> DbArgs {
        DbArgs {
            database_url: url.map(str::to_owned),
            db_host: "db.example".to_owned(),
            db_port: 3306,
            db_user: "loader".to_owned(),
            db_password: Some("pw-Zk81Qe".to_owned()),
            db_name: "mot".to_owned(),
            db_ssl_mode: None,
            db_ssl_ca: None,
        }
    }

    #[test]
    fn debug_leaves_out_passwords() {
        for db in [
            args(None),
            args(Some("mysql://u:url-pw-7Hd3@db.example:3306/mot")),
        ] {
            let text = format!("{db:?}");
            assert!(text.contains("db.example:3306/mot"), "{text}");
            assert!(
                !text.contains("pw-Zk81Qe") && !text.contains("url-pw-7Hd3"),
                "{text}"
            );
        }
    }

    #[test]
    fn tls_by_default_only_off_loopback() {
        for (host, tls) in [
            ("127.0.0.1", false),
            ("::1", false),
            ("[::1]", false),
            ("LOCALHOST", false),
            ("db.example", true),
            ("10.0.0.5", true),
        ] {
            let mut db = args(None);
            db.db_host = host.to_owned();
            let (builder, _) = db.opts().unwrap();
            assert_eq!(Opts::from(builder).ssl_opts().is_some(), tls, "{host}");
        }
    }
}
