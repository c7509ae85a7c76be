//! Database connection settings from flags and the environment.

use anyhow::{Context, Result, bail};
use clap::Args;
use mot_store::{LoadMethod, Opts, OptsBuilder, Store, StoreOptions};
use mysql_async::prelude::Queryable;

/// Where the database is. `--database-url` wins over the `--db-*` parts.
#[derive(Debug, Clone, Args)]
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
}

impl DbArgs {
    fn opts(&self) -> Result<(OptsBuilder, String)> {
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
                "cannot connect to the database at {}; check DB_HOST, DB_PORT, DB_USER and DB_PASSWORD (or DATABASE_URL), and that the server is running",
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
