//! `--select` / `--ignore`: which codes are reported. Codes and prefixes (`CA1`, `CA302`)
//! are accepted as Ruff accepts them.

use anyhow::{bail, Result};

use crate::rules::{by_code, FILE_NOT_ANALYZED, RULES};

#[derive(Clone, Debug, Default)]
pub struct Selection {
    select: Vec<String>,
    ignore: Vec<String>,
    family: Option<String>,
}

impl Selection {
    pub fn new(select: &[String], ignore: &[String]) -> Result<Self> {
        Ok(Selection {
            select: select.iter().map(|c| validate(c)).collect::<Result<_>>()?,
            ignore: ignore.iter().map(|c| validate(c)).collect::<Result<_>>()?,
            family: None,
        })
    }

    /// Adds the configuration file's codes: its `select` unless the command line gave
    /// one, `extend-select` on top, and its `ignore` as well as the command line's.
    pub fn with_config(
        mut self,
        select: Option<&[String]>,
        extend_select: &[String],
        ignore: &[String],
    ) -> Result<Self> {
        let checked = |codes: &[String]| {
            codes
                .iter()
                .map(|c| validate(c))
                .collect::<Result<Vec<_>>>()
        };
        if self.select.is_empty() {
            if let Some(select) = select {
                self.select = checked(select)?;
            }
        }
        if !self.select.is_empty() {
            self.select.extend(checked(extend_select)?);
        }
        self.ignore.extend(checked(ignore)?);
        Ok(self)
    }

    /// Narrows the selection to one family of codes (`check-invalidation` runs `CA3`).
    pub fn within(mut self, family: &str) -> Self {
        self.family = Some(family.to_string());
        self
    }

    pub fn includes(&self, code: &str) -> bool {
        let selected =
            self.select.is_empty() || self.select.iter().any(|p| code.starts_with(p.as_str()));
        let in_family = self
            .family
            .as_ref()
            .is_none_or(|f| code.starts_with(f.as_str()));
        selected && in_family && !self.ignore.iter().any(|p| code.starts_with(p.as_str()))
    }

    /// An error when nothing is left to run: a run that checks nothing must not pass.
    pub fn check_leaves_a_rule(&self) -> Result<()> {
        let runs_something = std::iter::once(&FILE_NOT_ANALYZED)
            .chain(RULES)
            .any(|rule| self.includes(rule.code));
        match (&self.family, runs_something) {
            (_, true) => Ok(()),
            (Some(family), false) => bail!(
                "the selection leaves no {family} rule for `check-invalidation`, which runs only the invalidation rules ({family}xx)"
            ),
            (None, false) => bail!("the selection (`--select`, `--ignore` and the configuration) leaves no rule to run"),
        }
    }

    /// Files that could not be analysed are always reported, unless `CA000` itself is
    /// ignored by name.
    pub fn includes_file_errors(&self, code: &str) -> bool {
        if code == FILE_NOT_ANALYZED.code {
            !self.ignore.iter().any(|p| p == code)
        } else {
            true
        }
    }
}

pub fn validate(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    let digits = code.strip_prefix("CA").unwrap_or("x");
    if digits.len() > 3 || !digits.chars().all(|c| c.is_ascii_digit()) {
        bail!("invalid rule code or prefix `{code}`: expected `CA` followed by up to three digits, e.g. `CA1` or `CA101`");
    }
    let codes = || {
        std::iter::once(&FILE_NOT_ANALYZED)
            .chain(RULES)
            .map(|rule| rule.code)
    };
    let what = if digits.len() == 3 {
        "rule code"
    } else {
        "rule prefix"
    };
    if !codes().any(|c| c.starts_with(&code)) || (digits.len() == 3 && by_code(&code).is_none()) {
        bail!(
            "unknown {what} `{code}` (no rule has it); the closest are {}; run `cache-analyzer rule --all` to list the rules",
            closest(&code, codes()).join(", ")
        );
    }
    Ok(code)
}

/// The three rule codes nearest a code or prefix that matches none: by the number its
/// digits make, padded to three (`CA9` is taken as `CA900`).
fn closest<'c>(code: &str, codes: impl Iterator<Item = &'c str>) -> Vec<&'c str> {
    let number = |code: &str| -> i64 {
        let digits = code.strip_prefix("CA").unwrap_or_default();
        format!("{digits:0<3}").parse().unwrap_or(0)
    };
    let wanted = number(code);
    let mut codes: Vec<&str> = codes.collect();
    codes.sort_by_key(|candidate| ((number(candidate) - wanted).abs(), *candidate));
    codes.truncate(3);
    codes
}
