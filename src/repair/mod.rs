//! Changing Azure: a [`plan::Plan`] is data (every change with its reason and the state it rests on)
//! made from a snapshot without writing anything; [`apply`] carries one out, each change preflighted
//! against the live state and the caller's rights, then decided, then executed, with a result per change.

pub mod apply;
pub mod basis;
pub mod plan;
pub mod planners;

#[cfg(test)]
mod tests;
