//! Roles, tenant scopes and the authenticated principal.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use shareline_model::TenantId;

use crate::AccessError;

/// What a user is, which decides what they may do (see [`crate::authorize`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the MSP's Shareline: every tenant, every action.
    MspAdmin,
    /// MSP staff working on their assigned tenants.
    MspEngineer,
    /// Administers one customer's own tenant.
    CustomerAdmin,
    /// Reads one customer's own tenant.
    CustomerViewer,
    /// Reads posture and audit logs of the assigned tenants; changes nothing.
    Auditor,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Self; 5] = [
        Self::MspAdmin,
        Self::MspEngineer,
        Self::CustomerAdmin,
        Self::CustomerViewer,
        Self::Auditor,
    ];

    /// The stable id stored in the database and used in the API (`msp_admin`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MspAdmin => "msp_admin",
            Self::MspEngineer => "msp_engineer",
            Self::CustomerAdmin => "customer_admin",
            Self::CustomerViewer => "customer_viewer",
            Self::Auditor => "auditor",
        }
    }

    /// A label for people (`MSP admin`).
    pub const fn label(self) -> &'static str {
        match self {
            Self::MspAdmin => "MSP admin",
            Self::MspEngineer => "MSP engineer",
            Self::CustomerAdmin => "Customer admin",
            Self::CustomerViewer => "Customer viewer",
            Self::Auditor => "Auditor",
        }
    }

    /// True for roles engaged by the MSP across tenants (admin, engineer,
    /// auditor); false for the customer roles bound to one tenant.
    pub const fn is_msp_side(self) -> bool {
        !self.is_customer_side()
    }

    /// True for the customer roles, bound to exactly one tenant.
    pub const fn is_customer_side(self) -> bool {
        matches!(self, Self::CustomerAdmin | Self::CustomerViewer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AccessError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| AccessError::UnknownRole(s.chars().take(40).collect()))
    }
}

/// The tenants a principal may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantScope {
    /// Every tenant, including ones created later.
    All,
    /// Only these tenants.
    Only(BTreeSet<TenantId>),
}

impl TenantScope {
    /// A scope of exactly one tenant.
    pub fn one(tenant: TenantId) -> Self {
        Self::Only(BTreeSet::from([tenant]))
    }

    /// True when the scope includes `tenant`.
    pub fn contains(&self, tenant: &TenantId) -> bool {
        match self {
            Self::All => true,
            Self::Only(set) => set.contains(tenant),
        }
    }

    /// True when every tenant of `other` is in this scope.
    pub fn covers(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::All, _) => true,
            (Self::Only(_), Self::All) => false,
            (Self::Only(mine), Self::Only(theirs)) => theirs.is_subset(mine),
        }
    }
}

/// An authenticated user: who, in what role, over which tenants. Built only
/// through [`Principal::new`], which enforces the role's scope rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    user_id: String,
    role: Role,
    tenants: TenantScope,
}

impl Principal {
    /// Builds a principal. An MSP admin always gets [`TenantScope::All`]; a
    /// customer role must name exactly one tenant; engineers and auditors keep
    /// the scope they are given.
    ///
    /// # Errors
    /// [`AccessError::EmptyUserId`], or
    /// [`AccessError::CustomerRoleNeedsOneTenant`] for a customer role whose
    /// scope is not exactly one tenant.
    pub fn new(
        user_id: impl Into<String>,
        role: Role,
        tenants: TenantScope,
    ) -> Result<Self, AccessError> {
        let user_id = user_id.into();
        if user_id.is_empty() {
            return Err(AccessError::EmptyUserId);
        }
        let tenants = match (role, tenants) {
            (Role::MspAdmin, _) => TenantScope::All,
            (Role::CustomerAdmin | Role::CustomerViewer, TenantScope::Only(set))
                if set.len() == 1 =>
            {
                TenantScope::Only(set)
            }
            (Role::CustomerAdmin | Role::CustomerViewer, other) => {
                let count = match other {
                    TenantScope::All => "all".to_owned(),
                    TenantScope::Only(set) => set.len().to_string(),
                };
                return Err(AccessError::CustomerRoleNeedsOneTenant { role, count });
            }
            (Role::MspEngineer | Role::Auditor, scope) => scope,
        };
        Ok(Self {
            user_id,
            role,
            tenants,
        })
    }

    /// The user's id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The user's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The tenants the user may see.
    pub fn tenants(&self) -> &TenantScope {
        &self.tenants
    }

    /// The one tenant of a customer role; `None` for MSP-side roles.
    pub fn home_tenant(&self) -> Option<&TenantId> {
        match (&self.tenants, self.role.is_customer_side()) {
            (TenantScope::Only(set), true) => set.first(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TenantId {
        TenantId::parse(s).unwrap()
    }

    #[test]
    fn role_ids_round_trip_and_reject_unknown() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(role.to_string(), role.as_str());
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert!(matches!(
            "root".parse::<Role>(),
            Err(AccessError::UnknownRole(_))
        ));
        assert!(Role::Auditor.is_msp_side() && !Role::CustomerViewer.is_msp_side());
    }

    #[test]
    fn principal_scope_rules() {
        let admin = Principal::new("u1", Role::MspAdmin, TenantScope::one(t("acme"))).unwrap();
        assert_eq!(admin.tenants(), &TenantScope::All);

        let customer = Principal::new("u2", Role::CustomerAdmin, TenantScope::one(t("acme")));
        assert_eq!(customer.unwrap().home_tenant(), Some(&t("acme")));

        let two = TenantScope::Only(BTreeSet::from([t("acme"), t("globex")]));
        for role in [Role::CustomerAdmin, Role::CustomerViewer] {
            for scope in [
                TenantScope::All,
                TenantScope::Only(BTreeSet::new()),
                two.clone(),
            ] {
                let err = Principal::new("u3", role, scope).unwrap_err();
                assert!(matches!(
                    err,
                    AccessError::CustomerRoleNeedsOneTenant { .. }
                ));
            }
        }
        let engineer = Principal::new("u4", Role::MspEngineer, two.clone()).unwrap();
        assert_eq!(engineer.tenants(), &two);
        assert_eq!(engineer.home_tenant(), None);
        assert_eq!(
            Principal::new("", Role::Auditor, two),
            Err(AccessError::EmptyUserId)
        );
    }

    #[test]
    fn scope_covers() {
        let acme = TenantScope::one(t("acme"));
        let both = TenantScope::Only(BTreeSet::from([t("acme"), t("globex")]));
        assert!(TenantScope::All.covers(&both) && both.covers(&acme));
        assert!(!acme.covers(&both) && !both.covers(&TenantScope::All));
    }
}
