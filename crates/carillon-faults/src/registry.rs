//! The rules of this node, and the decisions they make.
//!
//! The hot paths read one atomic count first: with no rule of their plane, nothing is locked.
//! With rules, a decision takes the registry's lock for a walk over them (at most
//! [`MAX_RULES`]), removing those expired or used up on the way.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::catalog::Catalog;
use crate::decision::{ApiRequest, Injection, Outcome};
use crate::metrics::FaultMetrics;
use crate::rule::{Action, Api, Matcher, RuleSpec, RuleView};
use entry::Entry;

/// Rules kept at once; more are refused.
pub const MAX_RULES: usize = 1000;

#[derive(Debug)]
struct State {
    rules: Vec<Entry>,
    rng: SmallRng,
}

/// The registry: this node's rules, the metrics of their hits, and whether the per-request
/// header is honoured.
#[derive(Debug)]
pub struct Faults {
    catalog: &'static Catalog,
    metrics: FaultMetrics,
    header_enabled: bool,
    api_rules: AtomicUsize,
    signaling_rules: AtomicUsize,
    state: Mutex<State>,
}

impl Default for Faults {
    /// No rules, the header off, metrics not exposed.
    fn default() -> Self {
        Faults::new(FaultMetrics::default(), false)
    }
}

/// What a walk over the rules fired.
#[derive(Debug, Default)]
struct Fired {
    delay: Duration,
    terminal: Option<Action>,
}

impl Faults {
    pub fn new(metrics: FaultMetrics, header_enabled: bool) -> Faults {
        Faults::with_rng(metrics, header_enabled, SmallRng::from_os_rng())
    }

    /// A registry whose probabilities are drawn from a seeded generator (for tests).
    pub fn seeded(seed: u64) -> Faults {
        Faults::with_rng(
            FaultMetrics::default(),
            false,
            SmallRng::seed_from_u64(seed),
        )
    }

    fn with_rng(metrics: FaultMetrics, header_enabled: bool, rng: SmallRng) -> Faults {
        Faults {
            catalog: Catalog::vendored(),
            metrics,
            header_enabled,
            api_rules: AtomicUsize::new(0),
            signaling_rules: AtomicUsize::new(0),
            state: Mutex::new(State {
                rules: Vec::new(),
                rng,
            }),
        }
    }

    pub fn catalog(&self) -> &'static Catalog {
        self.catalog
    }

    pub fn metrics(&self) -> &FaultMetrics {
        &self.metrics
    }

    /// Whether `X-Carillon-Fault` is honoured ([`crate::header`]).
    pub fn header_enabled(&self) -> bool {
        self.header_enabled
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Validates and adds a rule; the error is a client's 400 message.
    pub fn add(&self, spec: RuleSpec) -> Result<RuleView, String> {
        let mut views = self.add_all(vec![spec])?;
        views.pop().ok_or_else(|| "no rule".to_owned())
    }

    /// Adds every rule or, if one is invalid, none (its index in the message).
    pub fn add_all(&self, specs: Vec<RuleSpec>) -> Result<Vec<RuleView>, String> {
        let several = specs.len() > 1;
        let defs = specs
            .into_iter()
            .enumerate()
            .map(|(i, spec)| {
                spec.validate(self.catalog).map_err(|e| {
                    if several {
                        format!("rule {i}: {e}")
                    } else {
                        e
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let now = carillon_core::clock::now_ms();
        let mut state = self.state();
        state.rules.retain(|e| !e.expired(now));
        if state.rules.len() + defs.len() > MAX_RULES {
            return Err(format!("at most {MAX_RULES} rules are kept at once"));
        }
        let mut views = Vec::with_capacity(defs.len());
        for def in defs {
            let entry = Entry {
                id: uuid::Uuid::new_v4().to_string(),
                remaining: def.count,
                created_at_ms: now,
                expires_at_ms: def
                    .ttl_seconds
                    .map(|ttl| now.saturating_add(ttl as i64 * 1000)),
                def,
                hits: 0,
            };
            tracing::info!(rule = %entry.id, action = entry.def.action.name(), "fault rule added");
            views.push(entry.view());
            state.rules.push(entry);
        }
        self.recount(&state);
        Ok(views)
    }

    /// The rules in force, oldest first.
    pub fn list(&self) -> Vec<RuleView> {
        let now = carillon_core::clock::now_ms();
        let mut state = self.state();
        state.rules.retain(|e| !e.expired(now));
        self.recount(&state);
        state.rules.iter().map(Entry::view).collect()
    }

    /// Removes one rule; false if there is no such rule.
    pub fn remove(&self, id: &str) -> bool {
        let mut state = self.state();
        let before = state.rules.len();
        state.rules.retain(|e| e.id != id);
        self.recount(&state);
        state.rules.len() < before
    }

    /// Removes every rule; answers how many there were.
    pub fn clear(&self) -> usize {
        let mut state = self.state();
        let n = state.rules.len();
        state.rules.clear();
        self.recount(&state);
        n
    }

    fn recount(&self, state: &State) {
        let signaling = state
            .rules
            .iter()
            .filter(|e| e.def.action.is_signaling())
            .count();
        self.signaling_rules.store(signaling, Ordering::Relaxed);
        self.api_rules
            .store(state.rules.len() - signaling, Ordering::Relaxed);
    }

    /// What the rules do to an API request; `None` when no rule fired.
    pub fn api(&self, request: &ApiRequest<'_>) -> Option<Injection> {
        if self.api_rules.load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.api_at(request, carillon_core::clock::now_ms())
    }

    pub(crate) fn api_at(&self, request: &ApiRequest<'_>, now_ms: i64) -> Option<Injection> {
        let r = request;
        let fired = self.fire(
            now_ms,
            r.api.as_str(),
            r.operation,
            |m: &Matcher, action| {
                !action.is_signaling()
                    && m.api_request(r.api, r.operation, r.account_id, r.meeting_id)
            },
        )?;
        let outcome = match fired.terminal {
            Some(Action::Error(name)) => self
                .catalog
                .error(r.api, r.operation, name)
                .map(Outcome::Error),
            Some(Action::Drop) => Some(Outcome::Drop),
            _ => None,
        };
        Some(Injection {
            latency: fired.delay,
            outcome,
        })
    }

    /// Counts and logs what an `X-Carillon-Fault` header did to a request.
    pub fn header_hit(&self, api: Api, operation: &str, injection: &Injection) {
        let mut actions = Vec::with_capacity(2);
        if !injection.latency.is_zero() {
            actions.push("latency");
        }
        match injection.outcome {
            Some(Outcome::Error(_)) => actions.push("error"),
            Some(Outcome::Drop) => actions.push("drop"),
            None => {}
        }
        for action in actions {
            self.metrics.hit(api.as_str(), operation, action);
            tracing::info!(
                rule = "header",
                api = api.as_str(),
                operation,
                action,
                "fault injected"
            );
        }
    }

    /// Walks the rules in creation order: removes the expired ones, rolls each one `applies` to
    /// (additive ones all, terminal ones until one fires), counts the hits and removes the rules
    /// used up. `None` when nothing fired.
    fn fire(
        &self,
        now_ms: i64,
        api: &'static str,
        operation: &str,
        applies: impl Fn(&Matcher, Action) -> bool,
    ) -> Option<Fired> {
        let mut state = self.state();
        let State { rules, rng } = &mut *state;
        let mut fired: Option<Fired> = None;
        let mut changed = false;
        rules.retain_mut(|entry| {
            if entry.expired(now_ms) {
                changed = true;
                return false;
            }
            let action = entry.def.action;
            let additive = matches!(action, Action::Latency(_) | Action::DelayFrames(_));
            let decided = fired.as_ref().is_some_and(|f| f.terminal.is_some());
            if (!additive && decided) || !applies(&entry.def.matcher, action) {
                return true;
            }
            if entry.def.probability < 1.0 && rng.random::<f64>() >= entry.def.probability {
                return true;
            }
            let f = fired.get_or_insert_with(Fired::default);
            match action {
                Action::Latency(d) | Action::DelayFrames(d) => f.delay += d,
                _ => f.terminal = Some(action),
            }
            entry.hits += 1;
            self.metrics.hit(api, operation, action.name());
            tracing::info!(rule = %entry.id, api, operation, action = action.name(), "fault injected");
            if let Some(remaining) = &mut entry.remaining {
                *remaining -= 1;
                if *remaining == 0 {
                    changed = true;
                    return false;
                }
            }
            true
        });
        if changed {
            self.recount(&state);
        }
        fired
    }
}

mod entry;
mod signaling;
#[cfg(test)]
mod tests;
