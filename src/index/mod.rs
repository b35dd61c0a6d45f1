//! The project index: every file's facts merged once, with the project-wide lookups the
//! rules share: which classes are models, which attributes are managers and of what
//! model, what project functions return and do, what the settings say. Rules read it;
//! they never walk files.

mod helper_calls;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::facts::keys::{KeySource, KeyTemplate};
use crate::facts::settings::CacheSetting;
use crate::facts::shape::{CallableKind, ManagerOrigin, ModelRef, Shape, Unpicklable};
use crate::facts::span::Span;
use crate::facts::{
    CacheCall, CacheMethod, ClassFact, FileFacts, FunctionFact, FunctionSummary, RelationKind,
    Timeout,
};
use crate::test_code::{defines_test_case, is_test_path};

pub struct FileEntry {
    /// Relative to the analysed root, with `/` separators.
    pub path: String,
    pub facts: FileFacts,
    /// Test code (`crate::test_code`): never evidence for a finding, never reported.
    pub is_test: bool,
}

impl FileEntry {
    pub fn new(path: String, facts: FileFacts) -> Self {
        let is_test = is_test_path(&path) || defines_test_case(&facts.classes);
        FileEntry {
            path,
            facts,
            is_test,
        }
    }
}

/// A Django model class of the project.
pub struct Model {
    pub file: usize,
    pub class: usize,
    /// `app_label.ModelName`, as Django names it.
    pub label: String,
}

/// What a related or custom manager attribute yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManagerKind {
    /// `category.posts`: the reverse side of a foreign key (written with `update()`).
    ReverseForeignKey,
    ManyToMany,
    Custom,
}

pub struct ProjectIndex {
    pub files: Vec<FileEntry>,
    pub models: Vec<Model>,
    functions: NameTable,
    function_facts: NameTable,
    key_constants: NameTable,
    /// Every module-level class, models or not (mixins, base classes).
    classes: NameTable,
    /// The names of the tree's directories and modules.
    module_names: HashSet<String>,
    /// Model lookups: by dotted-name suffix, bare class name, label, lower-cased name.
    model_names: HashMap<String, Vec<usize>>,
    /// Manager attributes (`related_name`, many-to-many fields, custom managers) and the
    /// models they yield.
    /// models they yield (`None` when the model is not in the tree).
    manager_attributes: HashMap<String, Vec<(Option<usize>, ManagerKind)>>,
    /// Functions that write to or delete from the cache, themselves or through callees.
    cache_touchers: HashSet<String>,
    /// The last names of those, for methods called on objects of unknown class.
    cache_touching_names: HashSet<String>,
}

/// A value a rule may object to, found inside what a cache call stores.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLeaf {
    pub kind: LeafKind,
    /// Where to report it: the element of a literal container, or the argument itself.
    pub span: Span,
    /// The project function call it comes from, e.g. `recent_posts()`.
    pub via: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LeafKind {
    QuerySet(String),
    Unpicklable(String),
}

const MAX_RESOLVE_DEPTH: usize = 8;

impl ProjectIndex {
    pub fn build(mut files: Vec<FileEntry>) -> Self {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut index = ProjectIndex {
            files,
            models: Vec::new(),
            functions: NameTable::default(),
            function_facts: NameTable::default(),
            key_constants: NameTable::default(),
            classes: NameTable::default(),
            module_names: HashSet::default(),
            model_names: HashMap::default(),
            manager_attributes: HashMap::default(),
            cache_touchers: HashSet::default(),
            cache_touching_names: HashSet::default(),
        };
        for (file_index, file) in index.files.iter().enumerate() {
            let facts = &file.facts;
            for (i, function) in facts.functions.iter().enumerate() {
                index
                    .functions
                    .insert(&function.qualified_name, (file_index, i));
            }
            for (i, function) in facts.function_facts.iter().enumerate() {
                index
                    .function_facts
                    .insert(&function.qualified_name, (file_index, i));
            }
            for (i, (name, _)) in facts.key_constants.iter().enumerate() {
                index.key_constants.insert(name, (file_index, i));
            }
            for (i, class) in facts.classes.iter().enumerate() {
                index.classes.insert(&class.qualified_name, (file_index, i));
            }
            for part in file.path.split('/') {
                let module = part.strip_suffix(".py").unwrap_or(part);
                if !index.module_names.contains(module) {
                    index.module_names.insert(module.to_string());
                }
            }
        }
        index.confirm_imported_caches();
        index.read_wrapper_timeouts();
        index.add_helper_cache_calls();
        index.find_models();
        index.find_manager_attributes();
        index.find_cache_touchers();
        index
    }

    /// Calls on names imported from other project modules are cache calls when that
    /// module binds the name to a cache (with its alias); the others are dropped. A
    /// confirmed delete touches the cache for the function that makes it.
    fn confirm_imported_caches(&mut self) {
        let module_caches: HashMap<String, Option<String>> = self
            .files
            .iter()
            .flat_map(|file| file.facts.module_caches.iter().cloned())
            .collect();
        // The functions making confirmed deletes, and those deletes as the project calls
        // their functions record them (`app.caching.process_cache.delete`).
        let mut touching: HashSet<String> = HashSet::default();
        let mut invalidating_calls: HashSet<String> = HashSet::default();
        for file in &mut self.files {
            file.facts.cache_calls.retain_mut(|call| {
                let Some(imported) = &call.imported_receiver else {
                    return true;
                };
                let Some(alias) = module_caches.get(imported) else {
                    return false;
                };
                call.alias = alias.clone();
                if call.op.invalidates() {
                    touching.extend(call.function.clone());
                    invalidating_calls.insert(format!("{imported}.{}", call.method));
                }
                true
            });
        }
        if touching.is_empty() {
            return;
        }
        for file in &mut self.files {
            for fact in &mut file.facts.function_facts {
                fact.touches_cache |= touching.contains(&fact.qualified_name);
            }
            for write in &mut file.facts.bulk_writes {
                write.cache_touched_in_function |= write
                    .function_calls
                    .iter()
                    .any(|called| invalidating_calls.contains(called));
            }
        }
    }

    /// A call on a `cache-objects` wrapper passes a timeout only as `timeout=`, or where
    /// the wrapper's own signature has a parameter named `timeout`; it leaves the timeout
    /// out as Django's `set()` does only when the wrapper takes one where Django does.
    /// Another parameter in Django's timeout position (`set(key, value, user)`), or a
    /// signature not found, leaves the timeout unknown.
    fn read_wrapper_timeouts(&mut self) {
        let mut unknown: Vec<(usize, usize)> = Vec::new();
        for (f, file) in self.files.iter().enumerate() {
            for (c, call) in file.facts.cache_calls.iter().enumerate() {
                let Some(wrapper) = &call.wrapper else {
                    continue;
                };
                let signature = self.wrapper_method(&wrapper.object, &call.method);
                let timeout_at = |position: usize| {
                    signature
                        .and_then(|method| method.parameters.get(position + 1))
                        .is_some_and(|parameter| parameter == "timeout")
                };
                let readable = match (&call.timeout, wrapper.timeout_position) {
                    (Timeout::Given { .. }, None) => true,
                    (Timeout::Given { .. }, Some(position)) => timeout_at(position),
                    // Left out, as from Django's own `set()`, when the wrapper takes a
                    // timeout where Django does and defaults it as Django does.
                    (Timeout::Missing, _) => {
                        call.op.timeout_position().is_some_and(timeout_at)
                            && signature.is_some_and(|method| !method.own_timeout_default)
                    }
                    (Timeout::Unknown, _) => true,
                };
                if !readable {
                    unknown.push((f, c));
                }
            }
        }
        for (f, c) in unknown {
            self.files[f].facts.cache_calls[c].timeout = Timeout::Unknown;
        }
    }

    /// The signature of a wrapper's method, when the wrapper is made at module level from
    /// a project class that defines the method itself.
    fn wrapper_method(&self, object: &str, method: &str) -> Option<&CacheMethod> {
        let class = self
            .files
            .iter()
            .flat_map(|file| &file.facts.cache_object_classes)
            .find(|(made, _)| made == object)
            .map(|(_, class)| class)?;
        let (_, class) = self.class_named(class)?;
        class.cache_methods.iter().find(|m| m.name == method)
    }

    /// Classes deriving from `django.db.models.Model`, directly or through project models
    /// (abstract bases included).
    fn find_models(&mut self) {
        let classes: Vec<(usize, usize, &ClassFact)> = self
            .files
            .iter()
            .enumerate()
            .flat_map(|(f, file)| {
                file.facts
                    .classes
                    .iter()
                    .enumerate()
                    .map(move |(c, class)| (f, c, class))
            })
            .collect();
        let mut is_model = vec![false; classes.len()];
        let mut model_class_names: HashSet<String> = HashSet::default();
        loop {
            let mut changed = false;
            for (i, (_, _, class)) in classes.iter().enumerate() {
                if is_model[i] {
                    continue;
                }
                let derives = class.has_model_fields
                    || class.bases.iter().any(|base| {
                        is_django_model_base(base)
                            || model_class_names.contains(base)
                            || model_class_names.contains(base.rsplit('.').next().unwrap_or(base))
                    });
                if derives {
                    is_model[i] = true;
                    model_class_names.insert(class.qualified_name.clone());
                    model_class_names.insert(class.name.clone());
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut models = Vec::new();
        for (i, (file, class_index, class)) in classes.iter().enumerate() {
            if !is_model[i] {
                continue;
            }
            let label = format!("{}.{}", app_label(&class.qualified_name), class.name);
            models.push(Model {
                file: *file,
                class: *class_index,
                label,
            });
        }
        for (model_index, model) in models.iter().enumerate() {
            let class = &self.files[model.file].facts.classes[model.class];
            let mut names: Vec<String> = dotted_suffixes(&class.qualified_name)
                .map(str::to_string)
                .collect();
            names.push(class.name.clone());
            names.push(model.label.clone());
            names.push(format!("lower:{}", class.name.to_lowercase()));
            for name in names {
                let entry = self.model_names.entry(name).or_default();
                if !entry.contains(&model_index) {
                    entry.push(model_index);
                }
            }
        }
        self.models = models;
    }

    fn find_manager_attributes(&mut self) {
        let mut attributes: HashMap<String, Vec<(Option<usize>, ManagerKind)>> = HashMap::default();
        for model_index in 0..self.models.len() {
            let class = self.class(model_index);
            for manager in &class.managers {
                attributes
                    .entry(manager.clone())
                    .or_default()
                    .push((Some(model_index), ManagerKind::Custom));
            }
            for relation in &class.relations {
                let target = relation
                    .target
                    .as_ref()
                    .and_then(|target| self.resolve_model(target).first().copied());
                match relation.kind {
                    RelationKind::ManyToMany => {
                        attributes
                            .entry(relation.field.clone())
                            .or_default()
                            .push((target, ManagerKind::ManyToMany));
                        if let Some(related) = &relation.related_name {
                            attributes
                                .entry(related.clone())
                                .or_default()
                                .push((Some(model_index), ManagerKind::ManyToMany));
                        }
                    }
                    RelationKind::ForeignKey => {
                        if let Some(related) = &relation.related_name {
                            attributes
                                .entry(related.clone())
                                .or_default()
                                .push((Some(model_index), ManagerKind::ReverseForeignKey));
                        }
                    }
                    RelationKind::OneToOne => {}
                }
            }
        }
        self.manager_attributes = attributes;
    }

    pub fn class(&self, model: usize) -> &ClassFact {
        let model = &self.models[model];
        &self.files[model.file].facts.classes[model.class]
    }

    /// The project class a base-class name refers to, when exactly one matches.
    pub fn class_named(&self, qualified_name: &str) -> Option<(&str, &ClassFact)> {
        let (file, class) = self.classes.find(qualified_name, |(file, class)| {
            &self.files[file].facts.classes[class].qualified_name
        })?;
        let file = &self.files[file];
        Some((file.path.as_str(), &file.facts.classes[class]))
    }

    /// The project classes a class inherits from, nearest first, with their files (bases
    /// from libraries are not the project's).
    pub fn ancestors<'a>(&'a self, class: &'a ClassFact) -> Vec<(&'a str, &'a ClassFact)> {
        const MAX_DEPTH: usize = 16;
        let mut found: Vec<(&str, &ClassFact)> = Vec::new();
        let mut frontier: Vec<&ClassFact> = vec![class];
        for _ in 0..MAX_DEPTH {
            let mut next = Vec::new();
            for current in frontier {
                for base in &current.bases {
                    match self.class_named(base) {
                        Some((path, parent))
                            if !found.iter().any(|(_, c)| std::ptr::eq(*c, parent))
                                && !std::ptr::eq(parent, class) =>
                        {
                            found.push((path, parent));
                            next.push(parent);
                        }
                        _ => {}
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        found
    }

    /// Whether a dotted name starts with a package or module of the analysed tree.
    fn is_project_module_name(&self, name: &str) -> bool {
        name.split_once('.')
            .is_some_and(|(first, _)| self.module_names.contains(first))
    }

    pub fn model_path(&self, model: usize) -> &str {
        &self.files[self.models[model].file].path
    }

    /// The project models a reference may name (none when it names no project model or
    /// is ambiguous).
    pub fn resolve_model(&self, model: &ModelRef) -> Vec<usize> {
        let key = match model {
            ModelRef::Class(name) | ModelRef::Label(name) => name.clone(),
            ModelRef::ReverseAccessor(lower) => format!("lower:{lower}"),
            ModelRef::Attribute(attr) => {
                let mut models: Vec<Option<usize>> = self
                    .manager_attributes
                    .get(attr)
                    .into_iter()
                    .flatten()
                    .map(|(m, _)| *m)
                    .collect();
                models.sort_unstable();
                models.dedup();
                // An attribute several models declare names none of them for sure.
                return match models.as_slice() {
                    [Some(model)] => vec![*model],
                    _ => Vec::new(),
                };
            }
        };
        match self.model_names.get(&key) {
            Some(models) if models.len() == 1 => models.clone(),
            Some(_) => Vec::new(),
            // `from shop import Product`, re-exported by a package `__init__`: a project
            // module's name for the one project model of that class name.
            None => match (model, key.rsplit_once('.')) {
                (ModelRef::Class(_), Some((_, class))) if self.is_project_module_name(&key) => {
                    match self.model_names.get(class) {
                        Some(models) if models.len() == 1 => models.clone(),
                        _ => Vec::new(),
                    }
                }
                _ => Vec::new(),
            },
        }
    }

    /// The many-to-many field this related manager is (`book.shelves`), when every model
    /// declaring the attribute declares it as one.
    pub fn many_to_many<'m>(&self, model: &'m ModelRef) -> Option<&'m str> {
        let ModelRef::Attribute(attr) = model else {
            return None;
        };
        self.manager_attributes
            .get(attr)
            .is_some_and(|kinds| kinds.iter().all(|(_, k)| *k == ManagerKind::ManyToMany))
            .then_some(attr.as_str())
    }

    /// Whether `add`/`remove`/`clear` on this related manager writes with `update()`.
    pub fn is_reverse_foreign_key(&self, model: &ModelRef) -> bool {
        match model {
            ModelRef::ReverseAccessor(lower) => {
                self.model_names
                    .get(&format!("lower:{lower}"))
                    .is_some_and(|models| {
                        models.iter().any(|&m| {
                            self.class(m).relations.iter().any(|r| {
                                r.kind == RelationKind::ForeignKey && r.related_name.is_none()
                            })
                        })
                    })
            }
            ModelRef::Attribute(attr) => self.manager_attributes.get(attr).is_some_and(|kinds| {
                kinds
                    .iter()
                    .all(|(_, k)| *k == ManagerKind::ReverseForeignKey)
            }),
            ModelRef::Class(_) | ModelRef::Label(_) => false,
        }
    }

    fn is_manager(&self, origin: &ManagerOrigin) -> bool {
        match origin {
            ManagerOrigin::Model(ModelRef::ReverseAccessor(lower)) => {
                self.model_names.contains_key(&format!("lower:{lower}"))
            }
            ManagerOrigin::Model(ModelRef::Attribute(attr)) => {
                self.manager_attributes.contains_key(attr)
            }
            ManagerOrigin::Model(_) | ManagerOrigin::Unknown => true,
        }
    }

    pub fn cache_calls(&self) -> impl Iterator<Item = (&FileEntry, &CacheCall)> {
        self.files
            .iter()
            .flat_map(|file| file.facts.cache_calls.iter().map(move |call| (file, call)))
    }

    /// Every `CACHES` alias entry in the project's settings, with the file that sets it;
    /// settings used only by tests are not the project's.
    pub fn cache_settings(&self, alias: &str) -> Vec<(&str, &CacheSetting)> {
        self.files
            .iter()
            .filter(|file| !file.is_test)
            .flat_map(|file| {
                file.facts
                    .cache_settings
                    .iter()
                    .filter(move |setting| setting.alias == alias)
                    .map(move |setting| (file.path.as_str(), setting))
            })
            .collect()
    }

    /// The function a dotted name refers to, when exactly one project function matches.
    pub fn function(&self, qualified_name: &str) -> Option<&FunctionSummary> {
        self.defined_function(qualified_name)
            .or_else(|| self.manager_method(qualified_name))
    }

    /// The summary of a function the project defines under this name.
    fn defined_function(&self, qualified_name: &str) -> Option<&FunctionSummary> {
        let (file, function) = self.functions.find(qualified_name, |(file, function)| {
            &self.files[file].facts.functions[function].qualified_name
        })?;
        Some(&self.files[file].facts.functions[function])
    }

    /// `<model>.objects.<method>`: the method of the manager or QuerySet class the
    /// model's `objects` is made from, when the project defines it there.
    fn manager_method(&self, name: &str) -> Option<&FunctionSummary> {
        let (manager, method) = name.rsplit_once('.')?;
        let model = manager.strip_suffix(".objects")?;
        let (_, class) = self.class_named(model)?;
        let (_, manager_class) = class
            .manager_classes
            .iter()
            .find(|(attribute, _)| attribute == "objects")?;
        self.defined_function(&format!("{manager_class}.{method}"))
    }

    pub fn function_fact(&self, qualified_name: &str) -> Option<&FunctionFact> {
        self.function_fact_in_file(qualified_name)
            .map(|(_, fact)| fact)
    }

    /// A function's facts, with the file that defines it.
    fn function_fact_in_file(&self, qualified_name: &str) -> Option<(&FileEntry, &FunctionFact)> {
        let (file, function) = self
            .function_facts
            .find(qualified_name, |(file, function)| {
                &self.files[file].facts.function_facts[function].qualified_name
            })?;
        let file = &self.files[file];
        Some((file, &file.facts.function_facts[function]))
    }

    /// Whether the function writes to or deletes from the cache, itself or through the
    /// project code it calls, however deep (tasks it queues and `on_commit` callbacks
    /// included).
    pub fn function_touches_cache(&self, qualified_name: &str) -> bool {
        self.function_fact(qualified_name)
            .is_some_and(|fact| self.cache_touchers.contains(&fact.qualified_name))
    }

    /// Whether a call a function makes (an entry of `FunctionFact::calls`) may touch the
    /// cache: a project function that does, or a method of unknown class that has a
    /// cache-touching namesake in the project. Loose on purpose: it only ever clears a
    /// finding.
    pub fn call_may_touch_cache(&self, callee: &str) -> bool {
        match callee.strip_prefix("?.") {
            Some(method) => self.cache_touching_names.contains(method),
            None => self.function_touches_cache(callee),
        }
    }

    /// The functions that touch the cache themselves or through project code they call:
    /// each call resolved once, then the callers of touching functions walked backwards.
    fn find_cache_touchers(&mut self) {
        let facts: Vec<&FunctionFact> = self
            .files
            .iter()
            .flat_map(|file| &file.facts.function_facts)
            .collect();
        let position: HashMap<*const FunctionFact, usize> = facts
            .iter()
            .enumerate()
            .map(|(i, fact)| (*fact as *const FunctionFact, i))
            .collect();
        let mut callers: Vec<Vec<usize>> = vec![Vec::new(); facts.len()];
        for (caller, fact) in facts.iter().enumerate() {
            for callee in fact.calls.iter().filter(|c| !c.starts_with("?.")) {
                if let Some(&target) = self
                    .function_fact(callee)
                    .and_then(|f| position.get(&(f as *const FunctionFact)))
                {
                    callers[target].push(caller);
                }
            }
        }
        let mut touching = vec![false; facts.len()];
        let mut pending: Vec<usize> = (0..facts.len())
            .filter(|&i| facts[i].touches_cache)
            .collect();
        for &i in &pending {
            touching[i] = true;
        }
        while let Some(current) = pending.pop() {
            for &caller in &callers[current] {
                if !touching[caller] {
                    touching[caller] = true;
                    pending.push(caller);
                }
            }
        }
        let touchers: HashSet<String> = facts
            .iter()
            .zip(&touching)
            .filter(|(_, touches)| **touches)
            .map(|(fact, _)| fact.qualified_name.clone())
            .collect();
        self.cache_touching_names = touchers
            .iter()
            .map(|name| name.rsplit('.').next().unwrap_or(name).to_string())
            .collect();
        self.cache_touchers = touchers;
    }

    /// The key template a key expression stands for, resolving project functions and
    /// constants.
    pub fn key_template(&self, source: &KeySource) -> Option<KeyTemplate> {
        match source {
            KeySource::Template(template) => Some(template.clone()),
            KeySource::Symbol { name, called: true } => self.function(name)?.returns_key.clone(),
            KeySource::Symbol {
                name,
                called: false,
            } => {
                let (file, constant) = self.key_constants.find(name, |(file, constant)| {
                    &self.files[file].facts.key_constants[constant].0
                })?;
                Some(self.files[file].facts.key_constants[constant].1.clone())
            }
            KeySource::Unknown => None,
        }
    }

    /// The models a stored value is read from, following project functions.
    pub fn stored_model_refs(&self, shape: &Shape) -> Vec<ModelRef> {
        let mut refs = Vec::new();
        self.collect_model_refs(shape, 0, &mut refs);
        refs.sort();
        refs.dedup();
        refs
    }

    fn collect_model_refs(&self, shape: &Shape, depth: usize, refs: &mut Vec<ModelRef>) {
        if depth > MAX_RESOLVE_DEPTH {
            return;
        }
        match shape {
            Shape::CallResult { function, .. } => {
                if let Some(summary) = self.function(function) {
                    self.collect_model_refs(&summary.returns, depth + 1, refs);
                }
            }
            Shape::Container(items) => {
                for (item, _) in items {
                    self.collect_model_refs(item, depth + 1, refs);
                }
            }
            Shape::OneOf(items) => {
                for item in items {
                    self.collect_model_refs(item, depth + 1, refs);
                }
            }
            Shape::Callable { returns, .. } => self.collect_model_refs(returns, depth + 1, refs),
            Shape::CalledIfCallable(inner) => self.collect_model_refs(inner, depth + 1, refs),
            other => refs.extend(other.models()),
        }
    }

    /// The QuerySets and unpicklable values a stored shape contains, resolved with
    /// project knowledge.
    pub fn stored_leaves(&self, shape: &Shape, span: &Span) -> Vec<StoredLeaf> {
        let mut leaves = Vec::new();
        let at = Place { span, via: None };
        self.collect_leaves(shape, &at, false, 0, &mut leaves);
        leaves.dedup();
        leaves
    }

    /// `call`: the value is called first if it is callable (a `get_or_set` default).
    fn collect_leaves(
        &self,
        shape: &Shape,
        at: &Place<'_>,
        call: bool,
        depth: usize,
        leaves: &mut Vec<StoredLeaf>,
    ) {
        if depth > MAX_RESOLVE_DEPTH {
            return;
        }
        let mut push = |kind| {
            leaves.push(StoredLeaf {
                kind,
                span: at.span.clone(),
                via: at.via.map(str::to_string),
            })
        };
        match shape {
            Shape::QuerySet { origin, text, .. } if self.is_manager(origin) => {
                push(LeafKind::QuerySet(text.clone()))
            }
            Shape::Callable { returns, .. } if call => {
                self.collect_leaves(returns, at, false, depth + 1, leaves)
            }
            Shape::Callable { kind, text, .. } => push(LeafKind::Unpicklable(match kind {
                CallableKind::Lambda => format!("lambda `{text}`"),
                CallableKind::LocalFunction => format!("locally defined function `{text}`"),
            })),
            Shape::Unpicklable { what, text } => push(LeafKind::Unpicklable(match what {
                Unpicklable::Generator => format!("generator `{text}`"),
                Unpicklable::OpenFile => format!("open file `{text}`"),
                Unpicklable::Request => format!("request object `{text}`"),
            })),
            Shape::CallResult {
                function,
                text,
                awaited,
            } => {
                let Some(summary) = self.function(function) else {
                    return;
                };
                if summary.is_async && !awaited {
                    push(LeafKind::Unpicklable(format!(
                        "coroutine `{text}` (an async function called without `await`)"
                    )));
                    return;
                }
                let at = Place {
                    span: at.span,
                    via: Some(at.via.unwrap_or(text)),
                };
                leaves.extend(self.definite_leaves(&summary.returns, &at, call, depth + 1));
            }
            Shape::CalledIfCallable(inner) => {
                self.collect_leaves(inner, at, true, depth + 1, leaves)
            }
            Shape::Container(items) => {
                for (item, item_span) in items {
                    // Items of a container a project function returns sit in that
                    // function's file: the finding stays at the call.
                    let at = Place {
                        span: if at.via.is_some() { at.span } else { item_span },
                        via: at.via,
                    };
                    self.collect_leaves(item, &at, false, depth + 1, leaves);
                }
            }
            Shape::OneOf(alternatives) => {
                for alternative in alternatives {
                    self.collect_leaves(alternative, at, call, depth + 1, leaves);
                }
            }
            Shape::QuerySet { .. }
            | Shape::Manager(_)
            | Shape::ModelData(_)
            | Shape::Aggregate(_)
            | Shape::Fields(..)
            | Shape::Constant(_)
            | Shape::Template(_)
            | Shape::Opaque => {}
        }
    }

    /// What a function's return value certainly contains: a kind of leaf counts only
    /// when every `return` yields one (`return list(qs)` on one path clears a `return qs`).
    fn definite_leaves(
        &self,
        returns: &Shape,
        at: &Place<'_>,
        call: bool,
        depth: usize,
    ) -> Vec<StoredLeaf> {
        let alternatives: Vec<&Shape> = match returns {
            Shape::OneOf(alternatives) => alternatives.iter().collect(),
            single => vec![single],
        };
        let per_return: Vec<Vec<StoredLeaf>> = alternatives
            .iter()
            .map(|alternative| {
                let mut leaves = Vec::new();
                self.collect_leaves(alternative, at, call, depth, &mut leaves);
                leaves
            })
            .collect();
        let on_every_path = |is_kind: fn(&LeafKind) -> bool| {
            per_return
                .iter()
                .all(|leaves| leaves.iter().any(|leaf| is_kind(&leaf.kind)))
        };
        let querysets = on_every_path(|k| matches!(k, LeafKind::QuerySet(_)));
        let unpicklable = on_every_path(|k| matches!(k, LeafKind::Unpicklable(_)));
        per_return
            .into_iter()
            .next()
            .unwrap_or_default()
            .into_iter()
            .filter(|leaf| match leaf.kind {
                LeafKind::QuerySet(_) => querysets,
                LeafKind::Unpicklable(_) => unpicklable,
            })
            .collect()
    }
}

/// Where a stored leaf is reported, and the project call it comes through.
struct Place<'a> {
    span: &'a Span,
    via: Option<&'a str>,
}

/// Dotted names found by any suffix of two parts or more, so that an import of
/// `blog.services.recent` finds `mysite.blog.services.recent`. Keyed by the last two parts;
/// candidates are checked against the whole name when looked up.
#[derive(Default)]
struct NameTable {
    by_tail: HashMap<String, Vec<(usize, usize)>>,
}

impl NameTable {
    fn insert(&mut self, name: &str, value: (usize, usize)) {
        if let Some(tail) = tail(name) {
            self.by_tail
                .entry(tail.to_string())
                .or_default()
                .push(value);
        }
    }

    /// The one entry whose name ends with `name` at a dot boundary.
    fn find<'a>(
        &self,
        name: &str,
        name_of: impl Fn((usize, usize)) -> &'a String,
    ) -> Option<(usize, usize)> {
        let candidates = self.by_tail.get(tail(name)?)?;
        let mut matching = candidates.iter().copied().filter(|&candidate| {
            let full = name_of(candidate);
            full == name || full.ends_with(name) && full[..full.len() - name.len()].ends_with('.')
        });
        let first = matching.next()?;
        matching.next().is_none().then_some(first)
    }
}

/// The last two parts of a dotted name.
fn tail(name: &str) -> Option<&str> {
    let last_dot = name.rfind('.')?;
    let start = name[..last_dot].rfind('.').map_or(0, |i| i + 1);
    Some(&name[start..])
}

fn dotted_suffixes(name: &str) -> impl Iterator<Item = &str> {
    let starts = std::iter::once(0).chain(name.match_indices('.').map(|(i, _)| i + 1));
    starts
        .map(move |start| &name[start..])
        .filter(|suffix| suffix.contains('.'))
}

fn is_django_model_base(base: &str) -> bool {
    matches!(
        base,
        "django.db.models.Model"
            | "django.db.models.base.Model"
            | "django.contrib.gis.db.models.Model"
    )
}

/// Django's default app label: the package holding the models module
/// (`shop.models.orders.Order` → `shop`).
fn app_label(qualified_class: &str) -> &str {
    let parts: Vec<&str> = qualified_class.split('.').collect();
    match parts.iter().position(|p| *p == "models") {
        Some(i) if i > 0 => parts[i - 1],
        _ if parts.len() >= 3 => parts[parts.len() - 3],
        _ => parts[0],
    }
}
