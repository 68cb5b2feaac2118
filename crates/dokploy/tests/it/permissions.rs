//! Keys of users who may do less than an owner: what each target kind needs, refused before
//! anything changes, and least-privilege compose pins through `compose.saveEnvironment`.

use gantry_testkit::dokploy::{DokployOptions, Role, Scripted};

use crate::support::{STACK_ENV, Shop};

/// A member without "Create Services".
fn member() -> Role {
    Role::Member {
        create_services: false,
    }
}

/// An enterprise custom role with exactly `permissions`.
fn custom(permissions: &[&str]) -> Role {
    Role::Custom(permissions.iter().map(|p| (*p).to_owned()).collect())
}

fn shop_as(role: Role, version: &str) -> Shop {
    Shop::with(DokployOptions {
        role,
        version: version.into(),
        ..DokployOptions::default()
    })
}

/// Whether the run changed anything: any POST but the ones that only read.
fn changed_anything(shop: &Shop) -> bool {
    shop.fake
        .requests()
        .iter()
        .any(|request| request.method == "POST")
}

#[test]
fn a_member_key_pins_a_compose_through_save_environment() {
    let shop = shop_as(member(), "v0.30.2");
    let run = shop.run(&["--compose", &shop.stack, "--tag", "v2"]);
    run.assert_code(0);
    assert!(shop.fake.requests_to("compose.update").is_empty());
    let saved = shop.fake.requests_to("compose.saveEnvironment");
    assert_eq!(saved.len(), 1);
    let body = saved[0].body.as_ref().unwrap().as_object().unwrap();
    assert!(
        !body.contains_key("createEnvFile"),
        "the switch is left alone: {body:?}"
    );
    assert_eq!(
        shop.fake.compose(&shop.stack).env,
        format!("{STACK_ENV}IMAGE_TAG=v2\r\n")
    );
    assert_eq!(shop.fake.deployments(&shop.stack)[0].status, "done");
}

#[test]
fn a_key_that_may_not_set_an_image_is_refused_before_any_change() {
    let shop = shop_as(member(), "v0.30.2");
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(2);
    run.assert_said(&[
        "lacks `service:create` (application.update: set its image)",
        "Create Services",
    ]);
    assert!(!changed_anything(&shop), "{:?}", shop.fake.requests());
}

#[test]
fn before_save_environment_a_compose_needs_create_services_too() {
    // v0.28.7–v0.28.8: permissions are checked, and compose.update is the only way.
    let refused = shop_as(member(), "v0.28.8");
    let run = refused.run(&["--compose", &refused.stack, "--tag", "v2"]);
    run.assert_code(2);
    run.assert_said(&["`service:create` (compose.update: set its tag variables)"]);
    assert!(!changed_anything(&refused));

    let allowed = shop_as(
        Role::Member {
            create_services: true,
        },
        "v0.28.8",
    );
    let run = allowed.run(&["--compose", &allowed.stack, "--tag", "v2"]);
    run.assert_code(0);
    assert_eq!(allowed.fake.requests_to("compose.update").len(), 1);
}

#[test]
fn the_documented_permissions_are_enough_for_both_kinds() {
    // docs/dokploy.md, "API keys": exactly these, as an enterprise custom role.
    let role = custom(&[
        "service:read",
        "service:create",
        "envVars:write",
        "deployment:read",
        "deployment:create",
        "deployment:cancel",
    ]);
    let shop = shop_as(role, "v0.30.2");
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(0);
    assert_eq!(run.json()["result"], "success");
    assert!(
        shop.fake
            .requests()
            .iter()
            .all(|request| request.status < 400),
        "{:?}",
        shop.fake.requests()
    );
}

#[test]
fn a_custom_role_without_deployment_reads_is_told_what_it_lacks() {
    let role = custom(&[
        "service:read",
        "service:create",
        "envVars:write",
        "deployment:create",
    ]);
    let shop = shop_as(role, "v0.30.2");
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(2);
    run.assert_said(&[
        "`deployment:read` (deployment.all: find its deployment)",
        "`deployment:read` (deployment.allByCompose: find its deployment)",
        // The withdrawal it cannot do is named too.
        "lacks `deployment:cancel` (application.cleanQueues)",
    ]);
    assert!(!changed_anything(&shop));
}

#[test]
fn a_refusal_the_preflight_could_not_foresee_names_the_permission() {
    let shop = shop_as(member(), "v0.30.2");
    // The permissions cannot be read: gantry goes on, and Dokploy refuses the pin itself.
    shop.fake
        .script("user.getPermissions", 1, Scripted::Status(404));
    let run = shop.run(&["--tag", "v2", "--stage", "frontend"]);
    run.assert_code(1);
    run.assert_said(&[
        "Dokploy denied application.update (401): unauthorized to access resource \"service\"",
        "needs the `service:create` permission",
        "Create Services",
    ]);
    assert_eq!(run.target("web")["status"], "failed");
    assert!(shop.fake.deployments(&shop.web).is_empty());
}
