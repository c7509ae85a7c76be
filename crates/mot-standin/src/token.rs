//! The OAuth2 token endpoint, responding like Microsoft Entra ID's
//! `/{tenant}/oauth2/v2.0/token` for the client credentials grant.
//!
//! Credentials are read from the form body (`client_secret_post`), which is
//! how the `dvla-client` crate sends them. HTTP Basic client authentication is
//! not supported.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::fault::TokenFault;
use crate::state::{Endpoint, RequestRecord, State, random_string};

/// Handles `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token(
    AxumState(state): AxumState<Arc<State>>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let response = respond(&state, &tenant, &form);

    state.record(RequestRecord {
        endpoint: Endpoint::Token,
        path: format!("/{tenant}/oauth2/v2.0/token"),
        range: None,
        status: response.status().as_u16(),
    });
    response
}

fn respond(state: &State, tenant: &str, form: &HashMap<String, String>) -> Response {
    let fault = state.faults().token.pop();
    match fault {
        Some(TokenFault::ServerError) => {
            return entra_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "temporarily_unavailable",
                "AADSTS90033: A transient error has occurred. Please try again.",
            );
        }
        Some(TokenFault::InvalidClient) => return invalid_secret(form).into_response(),
        None => {}
    }

    if let Err(error) = check_request(state, tenant, form) {
        return error.into_response();
    }

    let ttl = state.settings.token_ttl.as_secs();
    let body = json!({
        "token_type": "Bearer",
        "expires_in": ttl,
        "ext_expires_in": ttl,
        "access_token": state.issue_token(),
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// Checks tenant, grant type, client id, secret and scope in the order Entra
/// reports them.
fn check_request(
    state: &State,
    tenant: &str,
    form: &HashMap<String, String>,
) -> Result<(), EntraError> {
    let settings = &state.settings;
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");

    if tenant != settings.tenant_id {
        let description = format!("AADSTS90002: Tenant '{tenant}' not found.");
        return Err(EntraError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description,
        });
    }

    if field("grant_type") != "client_credentials" {
        return Err(EntraError {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_grant_type",
            description: "AADSTS70003: The app requested an unsupported grant type.".to_owned(),
        });
    }

    if field("client_id") != settings.credentials.client_id {
        let description = format!(
            "AADSTS700016: Application with identifier '{}' was not found in the directory.",
            field("client_id")
        );
        return Err(EntraError {
            status: StatusCode::BAD_REQUEST,
            error: "unauthorized_client",
            description,
        });
    }

    if field("client_secret") != settings.credentials.client_secret {
        return Err(invalid_secret(form));
    }

    if field("scope") != settings.scope {
        let description = format!(
            "AADSTS70011: The provided value for the input parameter 'scope' is not valid: '{}'.",
            field("scope")
        );
        return Err(EntraError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_scope",
            description,
        });
    }
    Ok(())
}

fn invalid_secret(form: &HashMap<String, String>) -> EntraError {
    let client_id = form.get("client_id").map(String::as_str).unwrap_or("");
    let description = format!(
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the \
         request is the client secret value, not the client secret ID, for a secret added to \
         app '{client_id}'."
    );
    EntraError {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_client",
        description,
    }
}

/// An error response in Microsoft Entra's format.
struct EntraError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl IntoResponse for EntraError {
    fn into_response(self) -> Response {
        entra_error(self.status, self.error, &self.description)
    }
}

/// Builds an error response in Microsoft Entra's JSON format.
fn entra_error(status: StatusCode, error: &str, description: &str) -> Response {
    let code: u64 = description
        .trim_start_matches("AADSTS")
        .split(':')
        .next()
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0);
    let body = json!({
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
        "trace_id": random_string(32),
        "correlation_id": random_string(32),
    });
    (status, axum::Json(body)).into_response()
}
