pub mod facts;
pub mod diagnostic; pub mod index; pub mod rules;
pub mod discover; pub mod source;
pub mod pipeline; pub mod selection;
pub mod report;
pub mod cli;
