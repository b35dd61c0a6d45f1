//! Django templates.

pub mod lexer;
