//! Connecting, session settings and server capabilities.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};

use crate::error::{Error, Result};

/// Session settings applied to every connection.
///
/// Strict mode makes the server reject a value it would otherwise truncate
/// or zero, and UTC makes `NOW()` in the tracking tables unambiguous.
const SESSION_SETUP: &[&str] = &[
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
    "SET NAMES utf8mb4 COLLATE utf8mb4_bin",
    "SET SESSION time_zone = '+00:00'",
];

/// Method used to send rows to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadMethod {
    /// `LOAD DATA LOCAL INFILE` when the server allows it, else `INSERT`.
    #[default]
    Auto,
    /// Always `LOAD DATA LOCAL INFILE`, streamed from memory.
    LoadData,
    /// Always multi-row `INSERT` statements, for servers or proxies without
    /// `LOAD DATA LOCAL`.
    Insert,
}

/// Settings for a [`Store`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Method used to send rows to the server.
    pub load_method: LoadMethod,
    /// Most connections the store opens at once.
    pub max_connections: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            load_method: LoadMethod::Auto,
            max_connections: 4,
        }
    }
}

/// Facts about the server that decide how the store writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// `VERSION()`, such as `10.11.6-MariaDB-0+deb12u1`.
    pub version: String,
    /// Whether the server is MariaDB rather than MySQL.
    pub is_mariadb: bool,
    /// Whether `local_infile` is on.
    pub local_infile: bool,
    /// `max_allowed_packet` in bytes.
    pub max_allowed_packet: u64,
}

/// A connection pool to one database, with the tool's session settings.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    pub(crate) opts: Opts,
    pub(crate) server: ServerInfo,
    use_load_data: Arc<AtomicBool>,
}

impl std::fmt::Debug for Store {
    // The pool's options hold the password, so they are left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects with `opts` and reads the server's settings.
    ///
    /// # Errors
    ///
    /// Fails when the server cannot be reached or rejects the login, or
    /// when [`LoadMethod::LoadData`] is requested but the server has
    /// `local_infile` off.
    pub async fn connect(opts: Opts, options: &StoreOptions) -> Result<Self> {
        let constraints = PoolConstraints::new(0, options.max_connections.max(1))
            .ok_or_else(|| Error::Config("max_connections must be at least 1".into()))?;
        let pool_opts = PoolOpts::default()
            .with_constraints(constraints)
            .with_inactive_connection_ttl(Duration::from_secs(30));
        let builder = OptsBuilder::from_opts(opts)
            .setup(SESSION_SETUP.to_vec())
            .pool_opts(pool_opts)
            .stmt_cache_size(Some(64));
        let opts = Opts::from(builder);
        let pool = Pool::new(opts.clone());

        let mut conn = pool
            .get_conn()
            .await
            .map_err(|e| Error::database("connecting", e))?;
        let server = read_server_info(&mut conn).await?;
        drop(conn);

        let use_load_data = match options.load_method {
            LoadMethod::Insert => false,
            LoadMethod::Auto => server.local_infile,
            LoadMethod::LoadData if server.local_infile => true,
            LoadMethod::LoadData => {
                return Err(Error::Config(
                    "the server has local_infile=OFF, so LOAD DATA LOCAL is refused; run \
                     SET GLOBAL local_infile=1 or choose the insert load method"
                        .into(),
                ));
            }
        };
        tracing::debug!(version = %server.version, use_load_data, "connected");
        Ok(Self {
            pool,
            opts,
            server,
            use_load_data: Arc::new(AtomicBool::new(use_load_data)),
        })
    }

    /// Server facts read at connect time.
    pub fn server(&self) -> &ServerInfo {
        &self.server
    }

    /// Tells whether rows go through `LOAD DATA LOCAL INFILE`.
    pub fn uses_load_data(&self) -> bool {
        self.use_load_data.load(Ordering::Relaxed)
    }

    /// Switches to `INSERT` after the server refused `LOAD DATA LOCAL`.
    pub(crate) fn fall_back_to_insert(&self) {
        if self.use_load_data.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "the server refused LOAD DATA LOCAL INFILE; loading with INSERT instead"
            );
        }
    }

    /// Takes a connection from the pool.
    pub(crate) async fn conn(&self) -> Result<Conn> {
        self.pool
            .get_conn()
            .await
            .map_err(|e| Error::database("connecting", e))
    }

    /// Closes all connections.
    pub async fn close(self) -> Result<()> {
        self.pool
            .disconnect()
            .await
            .map_err(|e| Error::database("disconnecting", e))
    }
}

async fn read_server_info(conn: &mut Conn) -> Result<ServerInfo> {
    let row: Option<(String, u64, u64)> = conn
        .query_first("SELECT VERSION(), @@GLOBAL.local_infile, @@SESSION.max_allowed_packet")
        .await
        .map_err(|e| Error::database("reading server settings", e))?;
    let (version, local_infile, max_allowed_packet) =
        row.ok_or_else(|| Error::Config("the server returned no settings row".into()))?;
    Ok(ServerInfo {
        is_mariadb: version.to_ascii_lowercase().contains("mariadb"),
        version,
        local_infile: local_infile != 0,
        max_allowed_packet,
    })
}
