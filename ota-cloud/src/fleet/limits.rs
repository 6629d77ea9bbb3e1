//! Limits a fleet can enforce beyond the fixed ones.

/// Deepest static group hierarchy: a root group is at depth 1 (AWS: 7).
pub const MAX_GROUP_DEPTH: usize = 7;

/// Membership limits. `Default` is permissive: a thing may be in up to 65535 static groups,
/// several of them in one hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FleetLimits {
    /// Most static groups a thing may be a direct member of.
    pub max_groups_per_thing: u16,
    /// Refuse to add a thing to a group when it is already in a group of the same hierarchy
    /// (same root), as AWS does.
    pub one_group_per_hierarchy: bool,
}

impl Default for FleetLimits {
    fn default() -> Self {
        Self {
            max_groups_per_thing: u16::MAX,
            one_group_per_hierarchy: false,
        }
    }
}

impl FleetLimits {
    /// AWS's rules: at most 10 groups per thing, one per hierarchy. Unlike AWS, dynamic
    /// groups do not count towards the 10.
    pub const fn aws() -> Self {
        Self {
            max_groups_per_thing: 10,
            one_group_per_hierarchy: true,
        }
    }
}
