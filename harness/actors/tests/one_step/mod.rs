//! The pieces of `one_step_differential`: random case plans, building them
//! into witnessed steps, fixed cases, and the two verdicts compared.

pub mod build;
pub mod fixed;
pub mod onchain;
pub mod plan;
