//! The `CACHES` setting, read from module-level dict literals in settings files.

use ruff_python_ast::{Expr, ExprDict};

use super::shape::Constant;

#[derive(Clone, Debug, PartialEq)]
pub struct CacheSetting {
    pub alias: String,
    pub timeout: SettingTimeout,
    /// Line of the alias entry in the settings file.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SettingTimeout {
    /// No `TIMEOUT`: Django's default of 300 seconds applies.
    NotSet,
    /// A top-level `TIMEOUT`: its value, or `None` when it is not a constant.
    Set(Option<Constant>, String),
    /// `TIMEOUT` only inside `OPTIONS`, which Django ignores for expiry.
    OnlyInOptions,
}

/// Reads each alias of a `CACHES = {...}` literal.
pub fn cache_settings(
    caches: &ExprDict,
    line_of: &dyn Fn(&Expr) -> usize,
    text_of: &dyn Fn(&Expr) -> String,
    constant_of: &dyn Fn(&Expr) -> Option<Constant>,
) -> Vec<CacheSetting> {
    let mut settings = Vec::new();
    for item in &caches.items {
        let (Some(key @ Expr::StringLiteral(alias)), Expr::Dict(config)) = (&item.key, &item.value)
        else {
            continue;
        };
        let timeout = match entry(config, "TIMEOUT") {
            Some(value) => SettingTimeout::Set(constant_of(value), text_of(value)),
            None => match entry(config, "OPTIONS") {
                Some(Expr::Dict(options)) if entry(options, "TIMEOUT").is_some() => {
                    SettingTimeout::OnlyInOptions
                }
                _ => SettingTimeout::NotSet,
            },
        };
        settings.push(CacheSetting {
            alias: alias.value.to_str().to_string(),
            timeout,
            line: line_of(key),
        });
    }
    settings
}

fn entry<'a>(dict: &'a ExprDict, key: &str) -> Option<&'a Expr> {
    dict.items.iter().find_map(|item| match &item.key {
        Some(Expr::StringLiteral(k)) if k.value.to_str() == key => Some(&item.value),
        _ => None,
    })
}
