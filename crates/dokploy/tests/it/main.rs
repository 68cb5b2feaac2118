//! Integration tests of gantry-dokploy: the binary against the fake Dokploy of
//! gantry-testkit, run the way the runner runs it.

mod failures;
mod fake;
mod hostile;
mod permissions;
mod queue;
mod reliability;
mod report;
mod running;
mod servers;
mod stages;
mod support;
