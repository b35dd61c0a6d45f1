//! Test code: modules that exist to exercise the project, not to run it. Tests arrange
//! state with `update()`, write to the cache on purpose and pick timeouts to test expiry,
//! so nothing in them is reported, and nothing in them (a cached value, a bulk write, a
//! test settings module) is evidence for a finding in production code.

use crate::facts::ClassFact;

/// Directories that hold tests or a reusable app's test project.
const TEST_DIRECTORIES: &[&str] = &[
    "test",
    "tests",
    "testing",
    "testproject",
    "test_project",
    "testapp",
    "test_app",
    "testapps",
    "test_apps",
    "testsite",
    "test_site",
];

/// Django's and unittest's test case classes, and DRF's.
const TEST_CASE_BASES: &[&str] = &[
    "TestCase",
    "SimpleTestCase",
    "TransactionTestCase",
    "LiveServerTestCase",
    "StaticLiveServerTestCase",
    "APITestCase",
    "APISimpleTestCase",
    "APITransactionTestCase",
    "APILiveServerTestCase",
    "IsolatedAsyncioTestCase",
];

/// Whether a path (relative, `/`-separated) names test code: under a test directory, or a
/// test module (`tests.py`, `test_*.py`, `*_test.py`, `*_tests.py`, `conftest.py`,
/// `test_settings.py`, `settings_test.py`).
pub fn is_test_path(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    let file = parts.pop().unwrap_or_default();
    if parts.iter().any(|dir| TEST_DIRECTORIES.contains(dir)) {
        return true;
    }
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    stem == "tests"
        || stem == "conftest"
        || stem == "settings_test"
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
}

/// Whether a module defines a test case class, which makes it a test module wherever it
/// lives.
pub fn defines_test_case(classes: &[ClassFact]) -> bool {
    classes.iter().any(|class| {
        class.bases.iter().any(|base| {
            let name = base.rsplit('.').next().unwrap_or(base);
            TEST_CASE_BASES.contains(&name)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::is_test_path;

    #[test]
    fn test_paths() {
        for path in [
            "blog/tests.py",
            "blog/tests/test_views.py",
            "blog/tests/factories.py",
            "tests/settings.py",
            "testproject/settings.py",
            "blog/test_models.py",
            "blog/models_test.py",
            "conftest.py",
            "config/test_settings.py",
            "config/settings_test.py",
        ] {
            assert!(is_test_path(path), "{path}");
        }
        for path in [
            "blog/views.py",
            "testimonials/models.py",
            "latest/views.py",
            "blog/contest.py",
            "config/settings.py",
        ] {
            assert!(!is_test_path(path), "{path}");
        }
    }
}
