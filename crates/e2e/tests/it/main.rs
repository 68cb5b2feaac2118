//! gantry as a workflow author meets it: the composite actions run the way GitHub's runner
//! runs them, and the actions, workflows and docs checked against the binaries.

mod contract;
mod design;
mod docs;
mod dokploy;
mod install;
mod matrix;
mod promote;
mod prune;
mod simulated;
mod support;
mod tags;
mod workflows;
