//! The tools offered to the model (work in progress).
