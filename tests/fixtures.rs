//! The fixture projects: each expected finding is marked by hand on its line with
//! `# expect: [CODE]`; every other line must stay silent.

mod common;

use common::{analyze_json, finding, findings, fixture, markers};

#[test]
fn demo_project_findings_match_markers() {
    let root = fixture("demo");
    let (report, status) = analyze_json(&root, &[]);
    let expected = markers(&root);
    assert!(expected.len() >= 30, "the demo marks its findings");
    assert_eq!(findings(&report), expected);
    assert_eq!(status, 1);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["findings"], expected.len());
}

#[test]
fn lookalikes_raise_nothing() {
    let root = fixture("lookalikes");
    let (report, status) = analyze_json(&root, &[]);
    assert!(markers(&root).is_empty());
    assert_eq!(findings(&report), Default::default());
    assert_eq!(status, 0);
    assert!(report["summary"]["files_analyzed"].as_u64().unwrap() >= 5);
}

#[test]
fn broken_file_becomes_ca000_and_the_rest_is_still_analyzed() {
    let root = fixture("broken");
    let (report, status) = analyze_json(&root, &[]);
    let mut expected = markers(&root);
    expected.insert(finding("CA000", "app/syntax_error.py", 3));
    assert_eq!(findings(&report), expected);
    assert_eq!(status, 1);
    assert_eq!(report["summary"]["errors"], 1);
    let ca000 = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "CA000")
        .unwrap();
    assert_eq!(ca000["name"], "file-not-analyzed");
    assert!(ca000["message"]
        .as_str()
        .unwrap()
        .starts_with("syntax error: "));
}

type Place<'a> = (&'a str, u64);

/// The map's models as (model, definition, cached in [(key, place, timeout)],
/// invalidated by [(kind, handler, place)], bypassed by [(kind, place, handled)]).
type ModelRow<'a> = (
    &'a str,
    Option<Place<'a>>,
    Vec<(Option<&'a str>, Place<'a>, Option<&'a str>)>,
    Vec<(&'a str, &'a str, Place<'a>)>,
    Vec<(&'a str, Place<'a>, bool)>,
);

fn place(v: &serde_json::Value) -> Place<'_> {
    (v["path"].as_str().unwrap(), v["line"].as_u64().unwrap())
}

fn places(v: &serde_json::Value) -> Vec<Place<'_>> {
    v.as_array().unwrap().iter().map(place).collect()
}

fn map_models(report: &serde_json::Value) -> Vec<ModelRow<'_>> {
    report["invalidation"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["model"].as_str().unwrap(),
                m["path"].as_str().map(|_| place(m)),
                m["cached_in"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (c["key"].as_str(), place(c), c["timeout"].as_str()))
                    .collect(),
                m["invalidated_by"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        (
                            i["kind"].as_str().unwrap(),
                            i["handler"].as_str().unwrap(),
                            place(i),
                        )
                    })
                    .collect(),
                m["bypassed_by"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| {
                        (
                            b["kind"].as_str().unwrap(),
                            place(b),
                            b["handled"].as_bool().unwrap(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

/// The map's keys as (template, set at, deleted at).
fn map_keys(report: &serde_json::Value) -> Vec<(&str, Vec<Place<'_>>, Vec<Place<'_>>)> {
    report["invalidation"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["template"].as_str().unwrap(),
                places(&k["set_at"]),
                places(&k["deleted_at"]),
            )
        })
        .collect()
}

fn check_invalidation(root: &std::path::Path) -> (serde_json::Value, i32) {
    let output = common::run(&[
        "check-invalidation",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report = serde_json::from_slice(&output.stdout).expect("valid JSON report");
    (report, output.status.code().unwrap())
}

#[test]
fn invalidation_findings_and_map() {
    let root = fixture("invalidation");
    let (report, status) = check_invalidation(&root);
    assert_eq!(status, 1);
    assert_eq!(findings(&report), markers(&root));
    // Cleared on save only: a deleted category stays in the cached list.
    let category = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "catalog/models.py" && d["line"] == 4)
        .unwrap();
    assert_eq!(
        category["message"],
        "`catalog.Category` is cached under `catalog:categories` (catalog/services.py:20); the post_save receiver `invalidate_category` (catalog/apps.py:11) clears it on save, but nothing does when a row is deleted; connect it to post_delete too"
    );

    let receiver = "post_save/post_delete receiver";
    assert_eq!(
        map_models(&report),
        vec![
            (
                "catalog.Category",
                Some(("catalog/models.py", 4)),
                vec![(
                    Some("catalog:categories"),
                    ("catalog/services.py", 20),
                    Some("60 * 60")
                )],
                vec![(
                    "post_save receiver",
                    "catalog.signals.invalidate_category",
                    ("catalog/apps.py", 11)
                )],
                vec![],
            ),
            (
                "catalog.Brand",
                Some(("catalog/models.py", 8)),
                vec![(
                    Some("catalog:brand:{}"),
                    ("catalog/services.py", 32),
                    Some("60 * 60 * 24")
                )],
                vec![],
                vec![],
            ),
            (
                "catalog.Product",
                Some(("catalog/models.py", 12)),
                vec![
                    (
                        Some("catalog:product:{}"),
                        ("catalog/services.py", 11),
                        Some("60 * 10")
                    ),
                    (
                        Some("catalog:category:{}:products"),
                        ("catalog/services.py", 24),
                        Some("60 * 5")
                    ),
                ],
                vec![(
                    receiver,
                    "catalog.signals.product_changed",
                    ("catalog/signals.py", 10)
                )],
                vec![
                    ("update()", ("catalog/services.py", 36), false),
                    ("update()", ("catalog/services.py", 40), true),
                    (
                        "related manager add()/remove()/clear()",
                        ("catalog/services.py", 45),
                        false
                    ),
                ],
            ),
            (
                "orders.Order",
                Some(("orders/models.py", 7)),
                vec![(
                    Some("orders:recent:{}"),
                    ("orders/services.py", 11),
                    Some("60 * 5")
                )],
                vec![(
                    "save() override",
                    "orders.models.Order.save",
                    ("orders/models.py", 13)
                )],
                vec![
                    ("update()", ("orders/services.py", 16), false),
                    ("update()", ("orders/services.py", 20), true),
                ],
            ),
        ]
    );
    assert_eq!(
        map_keys(&report),
        vec![
            (
                "catalog:brand:{}",
                vec![("catalog/services.py", 32)],
                vec![]
            ),
            (
                "catalog:categories",
                vec![("catalog/services.py", 20)],
                vec![("catalog/signals.py", 16)]
            ),
            (
                "catalog:category:{}:products",
                vec![("catalog/services.py", 25)],
                vec![]
            ),
            (
                "catalog:product:{}",
                vec![("catalog/services.py", 11)],
                vec![("catalog/services.py", 16)]
            ),
            (
                "catalog:products:{}:category",
                vec![],
                vec![("catalog/signals.py", 17)]
            ),
            (
                "orders:recent:{}",
                vec![("orders/services.py", 11)],
                vec![("orders/models.py", 15), ("orders/services.py", 21)],
            ),
        ]
    );
    let dead = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "CA303")
        .unwrap();
    assert!(
        dead["message"].as_str().unwrap().contains(
            "the closest written key is `catalog:category:{}:products` (catalog/services.py:25)"
        ),
        "{dead}"
    );
}

#[test]
fn clean_invalidation_project_passes_the_gate() {
    let root = fixture("invalidation_clean");
    let (report, status) = check_invalidation(&root);
    assert_eq!(status, 0);
    assert_eq!(findings(&report), Default::default());
    let everything = (
        "post_save/post_delete receiver",
        "news.signals.clear_news_caches",
        ("news/signals.py", 8),
    );
    assert_eq!(
        map_models(&report),
        vec![
            (
                "news.Article",
                Some(("news/models.py", 4)),
                vec![
                    (
                        Some("news:headlines"),
                        ("news/services.py", 8),
                        Some("60 * 15")
                    ),
                    (
                        Some("news:article:{}"),
                        ("news/services.py", 12),
                        Some("60 * 15")
                    ),
                ],
                vec![everything],
                vec![("update()", ("news/services.py", 16), true)],
            ),
            (
                "pages.Page",
                Some(("pages/models.py", 5)),
                vec![(
                    Some("pages:page:{}"),
                    ("pages/views.py", 12),
                    Some("60 * 60")
                )],
                vec![
                    everything,
                    (
                        "save() override",
                        "pages.models.Page.save",
                        ("pages/models.py", 9)
                    ),
                    (
                        "delete() override",
                        "pages.models.Page.delete",
                        ("pages/models.py", 13)
                    ),
                ],
                vec![],
            ),
        ]
    );
    let (analyze_report, analyze_status) = analyze_json(&root, &[]);
    assert_eq!(analyze_status, 0);
    assert_eq!(findings(&analyze_report), Default::default());
}

#[test]
fn precision_pairs_flag_only_what_is_proved() {
    // Each flagged case has look-alikes that must stay silent (each file says why):
    // - receivers: a sender re-exported through another module, a file-moving receiver,
    //   one without `sender=` that acts for one model (`isinstance(instance, Atlas)`), one
    //   that clears other keys than the cached ones, one that watches other fields;
    // - invalidation: a helper called from `save()`, a `save()` inherited from a mixin, a
    //   delete in the code that saves, a task that refreshes the key;
    // - bulk writes: `dict.update()`, writes handled in the same function, on commit or by
    //   a queued task, writes of fields the cached values do not hold, writes whose cleared
    //   data is nowhere in sight;
    // - keys: short and write-only caches, a version counter, a key versioned at run time,
    //   keys that start with a run-time value, a ranking kept fresh by its timeout;
    // - timeouts: a default that may be intended; test code and test settings;
    // - one CA101 however many assignments reach the call.
    let root = fixture("precision");
    let (report, status) = analyze_json(&root, &[]);
    let expected = markers(&root);
    assert_eq!(expected.len(), 8);
    assert_eq!(findings(&report), expected);
    assert_eq!(status, 1);
    assert_eq!(
        report["summary"]["unknown"]["CA102"]["a default timeout that may be intended"],
        3
    );
}

#[test]
fn unresolved_facts_keep_absence_findings_silent_and_are_counted() {
    // A receiver connected to `apps.get_model(...)` may clear any model's cache, and a
    // write of a run-time key may produce any key: CA301 and CA303 stay silent and say so.
    let root = fixture("unresolved");
    let (report, status) = analyze_json(&root, &[]);
    assert_eq!(findings(&report), Default::default());
    assert_eq!(status, 0);
    let unknown = &report["summary"]["unknown"];
    assert_eq!(
        unknown["CA301"]["a receiver with an unresolved sender clears the cache"],
        1
    );
    assert_eq!(
        unknown["CA303"]["a write whose key the analysis cannot read"],
        1
    );
}

/// The caching guide's Workflow 5 sets `category:posts:{id}`; its receiver clears
/// `category:{id}:posts`. An id never produces `posts`, so that delete is dead, while the
/// manual clear of the set key and a slug key cleared through a name of any text are not;
/// nor are deletes of text a `.pk` of text, a helper's parameter, a function's result or
/// a formatted number can produce (press/flags.py).
#[test]
fn typed_key_holes_tell_the_seeds_templates_apart() {
    let root = fixture("key_types");
    let (report, status) = analyze_json(&root, &[]);
    assert_eq!(findings(&report), markers(&root));
    assert_eq!(markers(&root).len(), 1);
    assert_eq!(status, 1);
    assert_eq!(
        report["diagnostics"][0]["message"],
        "`cache.delete_many()` clears `category:{}:posts`, which nothing writes; the closest written key is `category:posts:{}` (press/services.py:15)"
    );
    assert!(report["diagnostics"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("filled by an id (`.id`, `.<field>_id`), a number or a slug"));
}

/// `Post.objects.method()` is what the method of the model's manager or QuerySet class
/// returns: a QuerySet from `self.filter()` or `self.get_queryset()...` (CA101), a list,
/// a count or a row (silent), or, for a manager from outside the project, unknown.
#[test]
fn manager_methods_return_what_their_class_says() {
    let root = fixture("managers");
    let (report, status) = analyze_json(&root, &[]);
    assert_eq!(markers(&root).len(), 2);
    assert_eq!(findings(&report), markers(&root));
    assert_eq!(status, 1);
    // Whatever the method returns, the cached data is the model's.
    let models: Vec<&str> = report["invalidation"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["shop.Product", "shop.Part", "shop.Label"]);
}

/// Caches a class holds for its methods: a class attribute, an attribute `__init__`
/// sets, a `cached_property` and a `classproperty` (one with a fallback alias, reached
/// through the class from a module function); module-level caches other modules import
/// (`caches[...]`, a `SimpleLazyObject` of a function returning one), and a module
/// function returning one, called for it (`thumbnails().set(...)`). A Redis client,
/// another class's attribute of the same name, an imported dict and a lazy dict are no
/// Django cache.
#[test]
fn backends_held_by_classes_are_caches() {
    let root = fixture("backends");
    let (report, status) = analyze_json(&root, &[]);
    assert_eq!(markers(&root).len(), 9);
    assert_eq!(findings(&report), markers(&root));
    assert_eq!(status, 1);
    // A receiver clearing the key through the imported module-level cache invalidates it.
    let image = &report["invalidation"]["models"][0];
    assert_eq!(image["model"], "media.Image");
    assert_eq!(
        image["invalidated_by"][0]["handler"],
        "media.jobs.forget_image"
    );
}

/// A project helper that caches a parameter as given (`remember(key, value)`): a QuerySet
/// or a lambda passed to it is reported at the call, by position, by keyword or as a
/// project function's result; helpers that evaluate, rebuild (also by a walrus or a
/// nested `nonlocal`) or ignore the value are not, nor a keyword that only fills
/// `**extra`, nor a function bound to `self`, whose callers' positions are shifted.
#[test]
fn values_cached_through_helpers_are_judged_at_the_call() {
    let root = fixture("helpers");
    let (report, status) = analyze_json(&root, &[]);
    assert_eq!(markers(&root).len(), 4);
    assert_eq!(findings(&report), markers(&root));
    assert_eq!(status, 1);
    assert_eq!(
        report["diagnostics"][0]["message"],
        "QuerySet `Post.objects.filter(published=True)` is cached unevaluated by `remember()` (`cache.set()` at blog/caching.py:7); cache `list(...)` of it or its primary keys"
    );
}

/// Helpers in the layers a large project grows: a key builder, a setter defaulting to
/// Django's timeout, wrappers three deep with a default of their own, a recursive one, a
/// `get_or_set` wrapper, read and delete helpers, memoising decorators (one made by a
/// call with a timeout argument). Each call site is judged with the arguments it passes
/// (CA101, CA102, CA104, CA106), keys written and deleted through helpers make CA301 and
/// CA303, and a helper forwarding `*args`/`**kwargs`, or given `**options`, and a
/// decorator caching something else than the result, cache nothing the analysis claims
/// to know.
#[test]
fn cache_calls_through_helper_chains_are_judged_at_each_call_site() {
    let root = fixture("helper_chains");
    let (report, status) = analyze_json(&root, &[]);
    assert_eq!(markers(&root).len(), 9);
    assert_eq!(findings(&report), markers(&root));
    assert_eq!(status, 1);
    let product = &report["invalidation"]["models"][0];
    assert_eq!(product["model"], "shop.Product");
    // Three calls deep, with the timeout `store()` defaults to.
    let by_services = product["cached_in"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "shop/services.py")
        .unwrap();
    assert_eq!(
        *by_services,
        serde_json::json!({
            "key": "product:{}", "path": "shop/services.py", "line": 27, "timeout": "3600",
            "through": {"helper": "shop.caching.cache_set", "call": "cache.set()",
                "path": "shop/caching.py", "line": 19}
        })
    );
    let category = report["invalidation"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["template"] == "category:{}")
        .unwrap();
    assert_eq!(
        category["deleted_at"][0],
        serde_json::json!({
            "path": "shop/receivers.py", "line": 10,
            "through": {"helper": "shop.caching.forget", "call": "cache.delete()",
                "path": "shop/caching.py", "line": 59}
        })
    );
}

/// A helper's own cache call stands for its callers' keys only when every call of it is
/// read: one queued with `.delay()`, made through a package's re-export, or through a
/// table or an alias leaves its key unknown, so a delete of a key written there is not
/// reported. With every call read, it is.
#[test]
fn helper_keys_count_only_when_every_call_is_read() {
    for project in ["delay", "reexport", "dispatch"] {
        let root = fixture("helper_unread").join(project);
        let (report, status) = analyze_json(&root, &[]);
        assert!(findings(&report).is_empty(), "{project}: {report}");
        assert_eq!(status, 0, "{project}");
    }
    let root = fixture("helper_unread").join("read");
    let (report, status) = analyze_json(&root, &[]);
    assert_eq!(markers(&root).len(), 1);
    assert_eq!(findings(&report), markers(&root));
    assert_eq!(status, 1);
}

/// Rows read through a many-to-many field (`book.shelves.all()`) change with `add()` and
/// `remove()`, which send only `m2m_changed`: receivers for the rows' saves and deletes
/// leave the cached list stale (CA301, naming the field), while an `m2m_changed`
/// receiver clearing the key covers it, also when it handles the rows' saves too, and so
/// do a `through=` model's receivers; a row reached through the relation and kept under
/// its own key is no member list. A receiver connected in a loop over signals may hear
/// any of them.
#[test]
fn many_to_many_changes_need_their_own_receiver() {
    let root = fixture("relations");
    let (report, status) = analyze_json(&root, &[]);
    assert_eq!(markers(&root).len(), 1);
    assert_eq!(findings(&report), markers(&root));
    assert_eq!(status, 1);
    assert_eq!(
        report["diagnostics"][0]["message"],
        "`library.Shelf` is cached under `library:book:{}:shelves` (library/services.py:7) through `shelves`; `forget_shelf` (library/signals.py:8) runs when rows are saved or deleted, but nothing clears it when `shelves` changes; clear it in an m2m_changed receiver for its through model"
    );
}
