//! Integration tests of gantry-dokploy.
