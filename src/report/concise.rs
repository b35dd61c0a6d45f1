//! The `concise` report: one `path:line:col: CODE message` line a finding, then the same
//! summary as `full`.

use std::io::{self, Write};

use super::full::{
    problems_and_opportunities, write_location_line, write_more_opportunities, write_summary,
    FullOptions,
};
use crate::pipeline::Analysis;

pub fn write_concise(
    out: &mut dyn Write,
    analysis: &Analysis,
    options: &FullOptions,
) -> io::Result<()> {
    let (problems, opportunities) = problems_and_opportunities(analysis);
    let (listed, left_out) = options.listed(&opportunities);
    for diagnostic in problems.iter().chain(listed) {
        write_location_line(out, diagnostic, &analysis.shown_paths, options.fix_mode)?;
    }
    write_more_opportunities(out, left_out)?;
    write_summary(out, analysis, &problems, &opportunities, options)
}
