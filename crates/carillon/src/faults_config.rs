//! The flags of fault injection: rules read at start, and the per-request header.

use std::path::PathBuf;
use std::sync::Arc;

use carillon_faults::{Catalog, FaultFile, FaultMetrics, Faults, RuleSpec, MAX_RULES};
use clap::Args;

use crate::config::Switch;

#[derive(Debug, Clone, Args)]
pub struct FaultArgs {
    /// A JSON file of fault rules set at start: `{"rules": [<rule>, …]}`, each as the admin API's
    /// `POST /v1/faults` takes it (see the README). A file that cannot be read, or any invalid
    /// rule, stops the server from starting.
    #[arg(long = "faults", env = "CARILLON_FAULTS", value_name = "FILE")]
    pub faults_file: Option<PathBuf>,

    /// Honour the `X-Carillon-Fault` request header (`on`), or ignore it (`off`).
    #[arg(long, env = "CARILLON_FAULT_HEADER", value_enum, default_value = "off")]
    pub fault_header: Switch,
}

impl FaultArgs {
    /// Reads and checks the rules of `--faults`, before anything starts.
    pub fn rules(&self) -> Result<Vec<RuleSpec>, String> {
        let Some(path) = &self.faults_file else {
            return Ok(Vec::new());
        };
        let at = |e: String| format!("fault rules {}: {e}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| at(format!("cannot read: {e}")))?;
        let file = FaultFile::parse(&text).map_err(at)?;
        if file.rules.len() > MAX_RULES {
            return Err(at(format!("at most {MAX_RULES} rules")));
        }
        for (i, rule) in file.rules.iter().enumerate() {
            rule.clone()
                .validate(Catalog::vendored())
                .map_err(|e| at(format!("rule {i}: {e}")))?;
        }
        Ok(file.rules)
    }

    /// The node's registry, holding `rules` (checked by [`FaultArgs::rules`]).
    pub fn registry(
        &self,
        metrics: FaultMetrics,
        rules: Vec<RuleSpec>,
    ) -> Result<Arc<Faults>, String> {
        let faults = Faults::new(metrics, matches!(self.fault_header, Switch::On));
        if !rules.is_empty() {
            let added = faults
                .add_all(rules)
                .map_err(|e| format!("fault rules: {e}"))?;
            tracing::info!(rules = added.len(), "fault rules set from the file");
        }
        if faults.header_enabled() {
            tracing::info!("the X-Carillon-Fault request header is honoured");
        }
        Ok(Arc::new(faults))
    }
}
