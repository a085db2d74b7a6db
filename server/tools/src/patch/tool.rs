//! apply_patch as a tool: its two specs (a freeform custom tool constrained by the Lark
//! grammar in `apply_patch.lark`, and a JSON function taking `{input}`) and the handler that
//! turns a patch into a proposal effect or a failure text.
//!
//! The handler proposes; it never writes (see the crate invariants).

use crate::context::{ToolContext, ToolEffect, ToolOutput};
use agent_protocol::{CustomToolFormat, ToolSpec};
use serde::Deserialize;
use serde_json::json;

pub const NAME: &str = "apply_patch";

/// The Lark grammar of the freeform tool.
pub const GRAMMAR: &str = include_str!("apply_patch.lark");

const DESCRIPTION: &str = "Edit files with a patch. All files change or none.
*** Begin Patch
*** Add File: <path>          then every line prefixed with +
*** Delete File: <path>
*** Update File: <path>
*** Move to: <new path>       optional, right after Update File
@@ <anchor line>              e.g. a class or function signature; repeat @@ lines to narrow down; bare @@ if not needed
 context line                 3 lines before and after each change, copied exactly
-removed line
+added line
*** End of File               optional: the chunk ends the file
*** End Patch
Paths are relative to the working directory. Chunks apply in file order.";

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ApplyPatchArgs {
    #[serde(alias = "patch")]
    pub input: String,
}

pub(crate) fn spec(freeform: bool) -> ToolSpec {
    if freeform {
        ToolSpec::Custom {
            name: NAME.into(),
            description: DESCRIPTION.into(),
            format: Some(CustomToolFormat { kind: "grammar".into(), syntax: "lark".into(), definition: GRAMMAR.into() }),
        }
    } else {
        ToolSpec::Function {
            name: NAME.into(),
            description: DESCRIPTION.into(),
            strict: false,
            parameters: json!({
                "type": "object",
                "properties": {"input": {"type": "string", "description": "The whole patch, from *** Begin Patch to *** End Patch."}},
                "required": ["input"],
                "additionalProperties": false
            }),
        }
    }
}

pub fn run(ctx: &ToolContext, input: &str) -> ToolOutput {
    match super::apply_patch(input, &ctx.cwd, ctx.view.as_ref()) {
        Ok(outcome) if outcome.proposal.is_empty() => ToolOutput::ok(outcome.summary(&ctx.cwd)),
        Ok(outcome) => ToolOutput {
            text: outcome.summary(&ctx.cwd),
            success: true,
            effect: Some(ToolEffect::Edits { proposal: outcome.proposal, files: outcome.files }),
        },
        Err(failure) => ToolOutput::error(failure.message(&ctx.cwd)),
    }
}
