//! MOT History API settings from flags and the environment.

use anyhow::{Context, Result, bail};
use clap::Args;
use dvla_client::{Client, ClientConfig, Secret};

/// Where the API is and the credentials of its registration. The defaults
/// are the real service; point `--api-url` and `--token-url` at a local
/// stand-in to test without credentials.
#[derive(Clone, Args)]
#[command(next_help_heading = "MOT History API")]
pub struct ApiArgs {
    /// Base URL of the MOT History API.
    #[arg(long, env = "DVLA_API_URL", default_value = dvla_client::DEFAULT_API_URL)]
    pub api_url: String,

    /// OAuth2 token endpoint. Default:
    /// https://login.microsoftonline.com/{DVLA_TENANT_ID}/oauth2/v2.0/token.
    #[arg(long, env = "DVLA_TOKEN_URL")]
    pub token_url: Option<String>,

    /// OAuth2 scope requested with each access token.
    #[arg(long, env = "DVLA_SCOPE", default_value = dvla_client::DEFAULT_SCOPE)]
    pub scope: String,

    /// Microsoft Entra tenant (directory) id of the API registration.
    #[arg(long, env = "DVLA_TENANT_ID")]
    pub tenant_id: Option<String>,

    /// OAuth2 client id of the API registration.
    #[arg(long, env = "DVLA_CLIENT_ID")]
    pub client_id: Option<String>,

    /// OAuth2 client secret of the API registration. Prefer the environment
    /// variable to the flag, which other users can see in the process list.
    #[arg(long, env = "DVLA_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,

    /// API key, sent as X-API-Key on every API call. Prefer the environment
    /// variable to the flag.
    #[arg(long, env = "DVLA_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

impl std::fmt::Debug for ApiArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiArgs")
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url)
            .field("scope", &self.scope)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ApiArgs {
    /// Builds the API client configuration.
    ///
    /// # Errors
    ///
    /// Fails when a credential is missing, naming each missing variable, or
    /// when a URL or the tenant id is invalid.
    pub fn config(&self) -> Result<ClientConfig> {
        self.check_credentials()?;
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut config = ClientConfig::new(
            &text(&self.tenant_id),
            text(&self.client_id),
            Secret::new(text(&self.client_secret)),
            Secret::new(text(&self.api_key)),
        )
        .context("invalid DVLA_TENANT_ID")?;

        config.api_url = self
            .api_url
            .parse()
            .with_context(|| format!("DVLA_API_URL {:?} is not a valid URL", self.api_url))?;
        if let Some(token_url) = &self.token_url {
            config.token_url = token_url
                .parse()
                .with_context(|| format!("DVLA_TOKEN_URL {token_url:?} is not a valid URL"))?;
        }
        config.scope = self.scope.clone();
        Ok(config)
    }

    /// Builds an API client. No request is sent yet.
    ///
    /// # Errors
    ///
    /// Fails as [`ApiArgs::config`] does, or when the HTTP client cannot be
    /// built.
    pub fn client(&self) -> Result<Client> {
        Client::new(self.config()?).context("invalid API settings")
    }

    /// Fails with a message naming every missing credential.
    fn check_credentials(&self) -> Result<()> {
        let fields = [
            ("DVLA_TENANT_ID", "--tenant-id", &self.tenant_id),
            ("DVLA_CLIENT_ID", "--client-id", &self.client_id),
            ("DVLA_CLIENT_SECRET", "--client-secret", &self.client_secret),
            ("DVLA_API_KEY", "--api-key", &self.api_key),
        ];
        let missing: Vec<String> = fields
            .iter()
            .filter(|(_, _, value)| value.as_deref().is_none_or(str::is_empty))
            .map(|(variable, flag, _)| format!("{variable} (or {flag})"))
            .collect();
        if !missing.is_empty() {
            bail!(
                "missing MOT History API credentials: {}; set them to the values of your API registration",
                missing.join(", ")
            );
        }
        Ok(())
    }
}

/// Tells whether `error` comes from the API or the network rather than from
/// the settings: a listing that failed after its retries, as opposed to an
/// invalid setting or rejected credentials.
pub fn is_remote_failure(error: &anyhow::Error) -> bool {
    let client_error = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<dvla_client::Error>());
    match client_error {
        None => false,
        Some(
            dvla_client::Error::InvalidConfig { .. }
            | dvla_client::Error::HttpClient(_)
            | dvla_client::Error::TokenRejected { .. }
            | dvla_client::Error::AuthRejected { .. },
        ) => false,
        Some(_) => true,
    }
}
