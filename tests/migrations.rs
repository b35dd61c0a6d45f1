//! Numbered migrations are read only when they mention a cache: their schema operations
//! hold nothing the rules judge, and skipping them saves an eighth of a large project's
//! parsing.

mod common;

use std::fs;

use common::{binary, findings, Finding};

#[test]
fn only_migrations_mentioning_a_cache_are_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("shop/migrations");
    fs::create_dir_all(&migrations).unwrap();
    fs::write(dir.path().join("shop/__init__.py"), "").unwrap();
    fs::write(migrations.join("__init__.py"), "").unwrap();
    // Not parsed: even its syntax error goes unreported.
    fs::write(
        migrations.join("0001_initial.py"),
        "from django.db import migrations\n\nclass Migration(migrations.Migration:\n    operations = []\n",
    )
    .unwrap();
    // Parsed: it uses the cache, and caches an unevaluated QuerySet (CA101).
    fs::write(
        migrations.join("0002_warm.py"),
        "from django.core.cache import cache\nfrom django.db import migrations\n\n\ndef warm(apps, schema_editor):\n    Product = apps.get_model(\"shop\", \"Product\")\n    cache.set(\"products\", Product.objects.all(), 300)\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(warm)]\n",
    )
    .unwrap();
    // Named like a migration outside `migrations/`: parsed.
    fs::write(dir.path().join("shop/0003_script.py"), "def broken(:\n").unwrap();
    let output = binary()
        .args(["analyze", ".", "--output-format", "json", "--no-cache"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<Finding> = findings(&report).into_iter().collect();
    assert_eq!(
        found,
        vec![
            (
                "CA000".to_string(),
                "shop/0003_script.py".to_string(),
                1usize
            ),
            (
                "CA101".to_string(),
                "shop/migrations/0002_warm.py".to_string(),
                7
            ),
        ],
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
