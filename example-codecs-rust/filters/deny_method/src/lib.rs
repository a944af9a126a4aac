//! A filter built with the official `proxy-wasm` crate (unmodified), run by Protean on RPC
//! requests: the request's metadata is the HTTP request header map.
//!
//! Plugin configuration (the YAML `config`, as JSON):
//! `{"deny": ["slow", "drop"], "header": "x-filtered-by", "value": "protean",
//!   "response_header": "x-served-via", "response_value": "protean"}`
//! — requests whose `method` is denied get a local response (the codec's error reply); the others
//! get the header added before routing, and their responses get the response header (which the
//! codec re-encodes: a Dubbo response attachment).

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
}}

#[derive(Default, Clone)]
struct Config {
    deny: Vec<String>,
    header: String,
    value: String,
    response_header: String,
    response_value: String,
}

#[derive(Default)]
struct Root {
    config: Config,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let Some(bytes) = self.get_plugin_configuration() else { return true };
        match parse(&String::from_utf8_lossy(&bytes)) {
            Some(config) => {
                self.config = config;
                true
            }
            None => {
                log::error!("deny_method: invalid plugin configuration");
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Filter { config: self.config.clone() }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Filter {
    config: Config,
}

impl Context for Filter {}

impl HttpContext for Filter {
    fn on_http_request_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        let method = self.get_http_request_header("method").unwrap_or_default();
        if self.config.deny.iter().any(|d| *d == method) {
            let body = format!("method {method} is denied");
            self.send_http_response(403, vec![], Some(body.as_bytes()));
            return Action::Pause;
        }
        if !self.config.header.is_empty() {
            self.add_http_request_header(&self.config.header, &self.config.value);
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        if !self.config.response_header.is_empty() {
            self.set_http_response_header(&self.config.response_header, Some(&self.config.response_value));
        }
        Action::Continue
    }
}

/// A tiny reader for the flat JSON config above (no serde: keeps the module small).
fn parse(json: &str) -> Option<Config> {
    let string_after = |key: &str| -> Option<String> {
        let at = json.find(&format!("\"{key}\""))? + key.len() + 2;
        let rest = json[at..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
        Some(rest[..rest.find('"')?].to_string())
    };
    let deny = match json.find("\"deny\"") {
        Some(at) => {
            let rest = &json[at..];
            let list = &rest[rest.find('[')? + 1..rest.find(']')?];
            list.split(',').map(|s| s.trim().trim_matches('"').to_string()).filter(|s| !s.is_empty()).collect()
        }
        None => Vec::new(),
    };
    Some(Config {
        deny,
        header: string_after("header").unwrap_or_default(),
        value: string_after("value").unwrap_or_default(),
        response_header: string_after("response_header").unwrap_or_default(),
        response_value: string_after("response_value").unwrap_or_default(),
    })
}
