//! Process isolation for commands the model runs (work in progress).
