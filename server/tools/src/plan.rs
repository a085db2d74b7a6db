//! update_plan: the model's task list, validated (non-empty steps, at most one in
//! progress) and handed back as a `Plan` for the agent to emit as an event.
//!
//! No state: the plan lives in the conversation and in the front ends; each call replaces it.

use crate::context::{ToolEffect, ToolOutput};
use agent_protocol::ToolSpec;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const NAME: &str = "update_plan";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    InProgress,
    Completed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanStep {
    pub step: String,
    pub status: StepStatus,
}

/// The whole plan after an update. camelCase on the wire, statuses in snake_case as the
/// model writes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    pub plan: Vec<PlanStep>,
}

pub(crate) fn spec() -> ToolSpec {
    ToolSpec::Function {
        name: NAME.into(),
        description: "Replace the task plan shown to the user. Keep steps short; at most one in_progress.".into(),
        strict: false,
        parameters: json!({
            "type": "object",
            "properties": {
                "explanation": {"type": "string"},
                "plan": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "step": {"type": "string"},
                            "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]}
                        },
                        "required": ["step", "status"],
                        "additionalProperties": false
                    }
                }
            },
            "required": ["plan"],
            "additionalProperties": false
        }),
    }
}

pub fn run(args: Plan) -> ToolOutput {
    if args.plan.iter().any(|s| s.step.trim().is_empty()) {
        return ToolOutput::error("invalid plan: every step needs text.");
    }
    let in_progress = args.plan.iter().filter(|s| s.status == StepStatus::InProgress).count();
    if in_progress > 1 {
        return ToolOutput::error(format!("invalid plan: {in_progress} steps are in_progress; at most one may be."));
    }
    ToolOutput { text: "Plan updated".into(), success: true, effect: Some(ToolEffect::Plan(args)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(v: serde_json::Value) -> ToolOutput {
        run(serde_json::from_value(v).unwrap())
    }

    #[test]
    fn validates_and_returns_the_plan() {
        let out = call(json!({"plan": [{"step": "read", "status": "completed"}, {"step": "fix", "status": "in_progress"}]}));
        assert_eq!(out.text, "Plan updated");
        let Some(ToolEffect::Plan(plan)) = out.effect else { panic!("no plan") };
        assert_eq!(plan.plan[1].status, StepStatus::InProgress);
        assert_eq!(
            serde_json::to_value(&plan).unwrap(),
            json!({"plan": [{"step": "read", "status": "completed"}, {"step": "fix", "status": "in_progress"}]})
        );
        let out = call(json!({"plan": [{"step": "a", "status": "in_progress"}, {"step": "b", "status": "in_progress"}]}));
        assert_eq!((out.success, out.text.as_str()), (false, "invalid plan: 2 steps are in_progress; at most one may be."));
        assert!(!call(json!({"plan": [{"step": " ", "status": "pending"}]})).success);
    }
}
