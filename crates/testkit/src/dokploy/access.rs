//! Who an API key acts as, and what Dokploy lets it do.
//!
//! A Dokploy key has no scopes: it acts as its user, with that user's role in the key's
//! organisation. From v0.28.7 every service procedure first checks one `resource:action`
//! permission (`checkServicePermissionAndAccess` / `checkServiceAccess` / `withPermission`,
//! packages/server/src/services/permission.ts) against the role's statements
//! (packages/server/src/lib/access-control.ts): `owner` and `admin` hold every permission, the
//! free `member` role holds the statements of `memberRole` plus what the legacy switches of
//! its member row grant (`canCreateServices`, the "Create Services" switch, grants
//! `service:create`), and an enterprise custom role holds exactly what it lists. A refusal is
//! a tRPC `UNAUTHORIZED`: 401 with a `code`, the message from better-auth's
//! `role.authorize`. Before v0.28.7 the handlers checked only the organisation (and, on
//! reads, a member's access to the service, which the fake always grants).

use serde_json::{Map, Value, json};

/// The role of the API key's user in its organisation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Role {
    #[default]
    Owner,
    Admin,
    /// The free `member` role; `create_services` is its "Create Services" switch.
    Member {
        create_services: bool,
    },
    /// An enterprise custom role with exactly these `resource:action` permissions.
    Custom(Vec<String>),
}

/// The version that brought the permission checks (`checkServicePermissionAndAccess`).
pub(crate) const CHECKED_SINCE: (u64, u64, u64) = (0, 28, 7);

/// `memberRole`'s statements for the resources the fake's procedures check
/// (access-control.ts; members may do everything to the deployments and variables of the
/// services they can access, but not create or change services).
const MEMBER: &[(&str, &[&str])] = &[
    ("service", &["read"]),
    ("deployment", &["read", "create", "cancel"]),
    ("envVars", &["read", "write"]),
];

/// The resources `user.getPermissions` reports (the real answer lists every resource of
/// `statements`; these are the ones gantry reads), with their actions.
const REPORTED: &[(&str, &[&str])] = &[
    ("service", &["create", "read", "delete"]),
    ("deployment", &["read", "create", "cancel"]),
    ("envVars", &["read", "write"]),
];

/// The permission a procedure checks from v0.28.7 on, as its router asks for it.
pub(crate) fn required(procedure: &str) -> Option<(&'static str, &'static str)> {
    Some(match procedure {
        // application.ts / compose.ts `one`: checkServiceAccess(ctx, id, "read").
        "application.one" | "compose.one" => ("service", "read"),
        // application.ts `update`, `saveDockerProvider`; compose.ts `update`.
        "application.update" | "application.saveDockerProvider" | "compose.update" => {
            ("service", "create")
        }
        // compose.ts `saveEnvironment`.
        "compose.saveEnvironment" => ("envVars", "write"),
        // application.ts / compose.ts `deploy`; compose.ts `cleanQueues` asks for `create` too.
        "application.deploy" | "compose.deploy" | "compose.cleanQueues" => ("deployment", "create"),
        // application.ts `cleanQueues`.
        "application.cleanQueues" => ("deployment", "cancel"),
        // deployment.ts `all`, `allByCompose`, `readLogs`; `queueList` through withPermission.
        "deployment.all"
        | "deployment.allByCompose"
        | "deployment.readLogs"
        | "deployment.queueList" => ("deployment", "read"),
        // settings.getDokployVersion, project.all (filtered for members), user.getPermissions.
        _ => return None,
    })
}

impl Role {
    /// The actions the role's statements hold for `resource`; `None` when the role has no
    /// statement for it at all (only custom roles lack whole resources).
    fn statement(&self, resource: &str) -> Option<Vec<String>> {
        match self {
            Role::Owner | Role::Admin => REPORTED
                .iter()
                .find(|(name, _)| *name == resource)
                .map(|(_, actions)| actions.iter().map(|action| (*action).to_owned()).collect()),
            Role::Member { .. } => Some(
                MEMBER
                    .iter()
                    .find(|(name, _)| *name == resource)
                    .map(|(_, actions)| actions.iter().map(|action| (*action).to_owned()).collect())
                    .unwrap_or_default(),
            ),
            Role::Custom(permissions) => {
                let actions: Vec<String> = permissions
                    .iter()
                    .filter_map(|permission| permission.split_once(':'))
                    .filter(|(name, _)| *name == resource)
                    .map(|(_, action)| action.to_owned())
                    .collect();
                (!actions.is_empty()).then_some(actions)
            }
        }
    }

    /// Whether the role may do `action` on `resource` (checkPermission: the role's
    /// statements, then a member's legacy switches).
    fn allows(&self, resource: &str, action: &str) -> bool {
        let granted = self
            .statement(resource)
            .is_some_and(|actions| actions.iter().any(|known| known == action));
        granted
            || matches!(self, Role::Member { create_services: true }
                if (resource, action) == ("service", "create"))
    }

    /// `Err(message)` when the role may not do `action` on `resource`, worded as
    /// better-auth's `role.authorize` words it.
    pub(crate) fn check(&self, (resource, action): (&str, &str)) -> Result<(), String> {
        if self.allows(resource, action) {
            return Ok(());
        }
        Err(match self.statement(resource) {
            None => format!("You are not allowed to access resource: {resource}"),
            Some(_) => format!("unauthorized to access resource \"{resource}\""),
        })
    }

    /// `user.getPermissions` (user.ts, `resolvePermissions`): every reported action with
    /// whether the key may do it.
    pub(crate) fn resolved(&self) -> Value {
        let resources: Map<String, Value> = REPORTED
            .iter()
            .map(|(resource, actions)| {
                let actions: Map<String, Value> = actions
                    .iter()
                    .map(|action| ((*action).to_owned(), json!(self.allows(resource, action))))
                    .collect();
                ((*resource).to_owned(), Value::Object(actions))
            })
            .collect();
        Value::Object(resources)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_need_the_create_services_switch_to_change_a_service() {
        let member = Role::Member {
            create_services: false,
        };
        assert_eq!(
            member.check(("service", "create")),
            Err("unauthorized to access resource \"service\"".into())
        );
        assert_eq!(member.check(("envVars", "write")), Ok(()));
        assert_eq!(member.check(("deployment", "cancel")), Ok(()));
        let switched = Role::Member {
            create_services: true,
        };
        assert_eq!(switched.check(("service", "create")), Ok(()));
        assert_eq!(switched.resolved()["service"]["create"], true);
        assert_eq!(member.resolved()["service"]["create"], false);
    }

    #[test]
    fn custom_roles_hold_only_what_they_list() {
        let role = Role::Custom(vec!["service:read".into(), "deployment:read".into()]);
        assert_eq!(role.check(("service", "read")), Ok(()));
        assert_eq!(
            role.check(("deployment", "create")),
            Err("unauthorized to access resource \"deployment\"".into())
        );
        assert_eq!(
            role.check(("envVars", "write")),
            Err("You are not allowed to access resource: envVars".into())
        );
        assert_eq!(Role::Admin.check(("service", "create")), Ok(()));
    }
}
