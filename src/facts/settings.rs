//! The `CACHES` setting, read from module-level dict literals in settings files.

use ruff_python_ast::{Expr, ExprDict};
use serde::{Deserialize, Serialize};

use super::shape::Constant;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheSetting {
    pub alias: String,
    pub timeout: SettingTimeout,
    /// Line of the alias entry in the settings file.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SettingTimeout {
    /// No `TIMEOUT`: Django's default of 300 seconds applies.
    NotSet,
    /// A top-level `TIMEOUT`: its value, or `None` when it is not a constant.
    Set(Option<Constant>, String),
    /// `TIMEOUT` only inside `OPTIONS`, which Django ignores for expiry.
    OnlyInOptions,
    /// Read from an environment variable (`env.int("CACHE_TIMEOUT", 300)`): the
    /// default, when one is given, applies unless the variable is set.
    Environment {
        variable: String,
        default: Option<f64>,
    },
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
            Some(value) => match environment_read(value) {
                Some((variable, default)) => SettingTimeout::Environment { variable, default },
                None => SettingTimeout::Set(constant_of(value), text_of(value)),
            },
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

/// `env.int("X", 300)`, `env("X", default=300)`, `os.environ.get("X", "300")`,
/// `os.getenv("X")`, `int(os.environ.get("X", 300))`: the variable and the default.
fn environment_read(expr: &Expr) -> Option<(String, Option<f64>)> {
    let Expr::Call(call) = expr else {
        return None;
    };
    // `int(...)`, `float(...)` around the read.
    if let Expr::Name(name) = call.func.as_ref() {
        if matches!(name.id.as_str(), "int" | "float") && call.arguments.args.len() == 1 {
            return environment_read(&call.arguments.args[0]);
        }
    }
    let reads_environment = {
        let mut current = call.func.as_ref();
        loop {
            match current {
                Expr::Name(name) => {
                    break matches!(name.id.as_str(), "env" | "environ" | "getenv" | "config")
                }
                Expr::Attribute(attribute) => {
                    if matches!(attribute.attr.as_str(), "environ" | "getenv" | "env") {
                        break true;
                    }
                    current = &attribute.value;
                }
                _ => break false,
            }
        }
    };
    if !reads_environment {
        return None;
    }
    let Some(Expr::StringLiteral(variable)) = call.arguments.args.first() else {
        return None;
    };
    let default = call
        .arguments
        .args
        .get(1)
        .or_else(|| {
            call.arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "default"))
                .map(|k| &k.value)
        })
        .and_then(|value| match value {
            Expr::NumberLiteral(number) => match &number.value {
                ruff_python_ast::Number::Int(int) => int.as_u64().map(|n| n as f64),
                ruff_python_ast::Number::Float(float) => Some(*float),
                _ => None,
            },
            Expr::StringLiteral(text) => text.value.to_str().trim().parse().ok(),
            _ => None,
        });
    Some((variable.value.to_str().to_string(), default))
}
