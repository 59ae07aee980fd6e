//! The authorization policy: one decision function, [`authorize`].

use shareline_model::TenantId;

use crate::role::{Principal, Role, TenantScope};

/// Something the server does on a user's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read posture: overview, findings, resources, compliance, gaps.
    ReadPosture,
    /// Read the responsibility matrix.
    ReadMatrix,
    /// Change the responsibility matrix.
    EditMatrix,
    /// Mute or unmute findings.
    MuteFindings,
    /// Start a scan.
    StartScan,
    /// Cancel a running scan.
    CancelScan,
    /// Add or remove cloud accounts (and their credentials).
    ManageAccounts,
    /// Read the audit log.
    ReadAudit,
    /// Create users and set their roles.
    ManageUsers,
    /// Create and revoke one's own API tokens.
    ManageOwnTokens,
    /// Create and remove tenants, set their offerings.
    ManageTenants,
}

impl Action {
    /// Every action, in a stable order.
    pub const ALL: [Self; 11] = [
        Self::ReadPosture,
        Self::ReadMatrix,
        Self::EditMatrix,
        Self::MuteFindings,
        Self::StartScan,
        Self::CancelScan,
        Self::ManageAccounts,
        Self::ReadAudit,
        Self::ManageUsers,
        Self::ManageOwnTokens,
        Self::ManageTenants,
    ];

    /// True for actions that only read.
    pub const fn is_read(self) -> bool {
        matches!(self, Self::ReadPosture | Self::ReadMatrix | Self::ReadAudit)
    }
}

/// Why [`authorize`] said no. Map `NotFound` to HTTP 404 and `Forbidden` to 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The tenant is outside the principal's scope; answer as if it did not exist.
    #[error("not found")]
    NotFound,
    /// The tenant is visible but the role may not do this.
    #[error("forbidden")]
    Forbidden,
}

/// May the role do `action` inside a tenant it can see?
const fn role_allows(role: Role, action: Action) -> bool {
    use Action as A;
    match role {
        Role::MspAdmin => true,
        Role::MspEngineer => !matches!(action, A::ManageUsers | A::ManageTenants),
        Role::CustomerAdmin => !matches!(action, A::ManageAccounts | A::ManageTenants),
        Role::CustomerViewer => {
            matches!(action, A::ReadPosture | A::ReadMatrix | A::ManageOwnTokens)
        }
        Role::Auditor => action.is_read() || matches!(action, A::ManageOwnTokens),
    }
}

/// The one authorization decision.
///
/// With `Some(tenant)`: a tenant outside the principal's scope is always
/// [`Denied::NotFound`] (its existence is not revealed), whatever the action;
/// an action the role may not do is [`Denied::Forbidden`].
///
/// With `None` (an estate-wide route: the overview, the cross-customer queue
/// and its bulk mute, user management): allowed when the role may do the
/// action in its tenants at all. The handler then filters results with
/// [`visible_tenants`] and authorizes each tenant it touches with
/// `Some(tenant)`. Managing tenants stays the MSP admin's alone.
///
/// # Errors
/// [`Denied`] as above.
pub fn authorize(p: &Principal, action: Action, tenant: Option<&TenantId>) -> Result<(), Denied> {
    let allowed = match tenant {
        Some(t) if !visible(p, t) => return Err(Denied::NotFound),
        Some(_) => role_allows(p.role(), action),
        None => role_allows(p.role(), action),
    };
    if allowed {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

/// True when the principal may see `tenant` at all.
pub fn visible(p: &Principal, tenant: &TenantId) -> bool {
    p.tenants().contains(tenant)
}

/// The tenants of `all` that the principal may see, in the given order.
pub fn visible_tenants<'a>(
    p: &Principal,
    all: impl IntoIterator<Item = &'a TenantId>,
) -> Vec<&'a TenantId> {
    all.into_iter().filter(|t| visible(p, t)).collect()
}

/// May `p` give someone `role` over `tenants`? Nobody grants more than they
/// have: the MSP admin grants anything; a customer admin grants only customer
/// roles over its own tenant; nobody else grants roles.
pub fn can_grant(p: &Principal, role: Role, tenants: &TenantScope) -> bool {
    match p.role() {
        Role::MspAdmin => true,
        Role::CustomerAdmin => {
            role.is_customer_side()
                && matches!(tenants, TenantScope::Only(set) if set.len() == 1)
                && p.tenants().covers(tenants)
        }
        Role::MspEngineer | Role::CustomerViewer | Role::Auditor => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;

    fn t(s: &str) -> TenantId {
        TenantId::parse(s).unwrap()
    }

    fn principal(role: Role) -> Principal {
        Principal::new("u", role, TenantScope::one(t("acme"))).unwrap()
    }

    /// Per action, per role (in [`Role::ALL`] order: msp_admin, msp_engineer,
    /// customer_admin, customer_viewer, auditor), the outcome on the own
    /// tenant, another tenant and estate-wide: Y allowed, F forbidden, N not found.
    const TABLE: [(Action, [&str; 5]); 11] = [
        (A::ReadPosture, ["YYY", "YNY", "YNY", "YNY", "YNY"]),
        (A::ReadMatrix, ["YYY", "YNY", "YNY", "YNY", "YNY"]),
        (A::EditMatrix, ["YYY", "YNY", "YNY", "FNF", "FNF"]),
        (A::MuteFindings, ["YYY", "YNY", "YNY", "FNF", "FNF"]),
        (A::StartScan, ["YYY", "YNY", "YNY", "FNF", "FNF"]),
        (A::CancelScan, ["YYY", "YNY", "YNY", "FNF", "FNF"]),
        (A::ManageAccounts, ["YYY", "YNY", "FNF", "FNF", "FNF"]),
        (A::ReadAudit, ["YYY", "YNY", "YNY", "FNF", "YNY"]),
        (A::ManageUsers, ["YYY", "FNF", "YNY", "FNF", "FNF"]),
        (A::ManageOwnTokens, ["YYY", "YNY", "YNY", "YNY", "YNY"]),
        (A::ManageTenants, ["YYY", "FNF", "FNF", "FNF", "FNF"]),
    ];

    fn outcome(r: Result<(), Denied>) -> char {
        match r {
            Ok(()) => 'Y',
            Err(Denied::Forbidden) => 'F',
            Err(Denied::NotFound) => 'N',
        }
    }

    #[test]
    fn every_role_action_and_tenant() {
        let (own, other) = (t("acme"), t("globex"));
        for action in Action::ALL {
            let (_, row) = TABLE.iter().find(|(a, _)| *a == action).unwrap();
            for (role, expected) in Role::ALL.into_iter().zip(row) {
                let p = principal(role);
                let got: String = [Some(&own), Some(&other), None]
                    .into_iter()
                    .map(|tenant| outcome(authorize(&p, action, tenant)))
                    .collect();
                assert_eq!(&got, expected, "{role} {action:?} (own, other, none)");
            }
        }
    }

    #[test]
    fn unknown_tenant_is_not_found_even_for_forbidden_actions() {
        let viewer = principal(Role::CustomerViewer);
        let err = authorize(&viewer, A::ManageTenants, Some(&t("globex")));
        assert_eq!(err, Err(Denied::NotFound));
    }

    #[test]
    fn visible_tenants_filters() {
        let all = [t("acme"), t("globex"), t("initech")];
        let engineer = Principal::new(
            "e",
            Role::MspEngineer,
            TenantScope::Only([t("globex"), t("initech")].into()),
        )
        .unwrap();
        assert_eq!(visible_tenants(&engineer, &all), vec![&all[1], &all[2]]);
        let admin = principal(Role::MspAdmin);
        assert_eq!(visible_tenants(&admin, &all).len(), 3);
        assert!(visible(&principal(Role::CustomerViewer), &all[0]));
    }

    #[test]
    fn nobody_grants_more_than_they_have() {
        let own = TenantScope::one(t("acme"));
        let other = TenantScope::one(t("globex"));
        let admin = principal(Role::MspAdmin);
        assert!(
            Role::ALL
                .iter()
                .all(|r| can_grant(&admin, *r, &TenantScope::All))
        );

        let cadmin = principal(Role::CustomerAdmin);
        assert!(can_grant(&cadmin, Role::CustomerViewer, &own));
        assert!(can_grant(&cadmin, Role::CustomerAdmin, &own));
        assert!(!can_grant(&cadmin, Role::CustomerViewer, &other));
        assert!(!can_grant(&cadmin, Role::CustomerViewer, &TenantScope::All));
        for role in [Role::MspAdmin, Role::MspEngineer, Role::Auditor] {
            assert!(!can_grant(&cadmin, role, &own), "{role}");
        }
        for granter in [Role::MspEngineer, Role::CustomerViewer, Role::Auditor] {
            let p = principal(granter);
            assert!(!can_grant(&p, Role::CustomerViewer, &own), "{granter}");
        }
    }
}
