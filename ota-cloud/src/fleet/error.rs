//! What can go wrong in the fleet registry.

/// Why a fleet operation was refused. The fleet is unchanged when one is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// A thing or group name is empty, longer than 128 bytes or has a character outside
    /// `[a-zA-Z0-9:_-]`.
    #[error("name is empty, longer than 128 bytes or has a character outside [a-zA-Z0-9:_-]")]
    InvalidName,
    /// An attribute key or value breaks the AWS limits, or a key is given twice.
    #[error("attribute key or value breaks the AWS limits, or a key is repeated")]
    InvalidAttribute,
    /// A thing would have more than [`crate::fleet::MAX_ATTRIBUTES`] attributes.
    #[error("too many attributes on one thing")]
    TooManyAttributes,
    /// No live thing has this name.
    #[error("thing not found")]
    ThingNotFound,
    /// No live group has this name.
    #[error("thing group not found")]
    GroupNotFound,
    /// A thing (or a group) with this name exists.
    #[error("a thing or group with this name already exists")]
    AlreadyExists,
    /// A dynamic-group query does not parse.
    #[error("invalid query at byte {position}: {reason}")]
    InvalidQuery {
        /// Byte offset in the query where the problem was found.
        position: usize,
        /// What is wrong there.
        reason: &'static str,
    },
    /// The new parent is the group itself or one of its descendants.
    #[error("a group cannot be its own ancestor")]
    GroupCycle,
    /// The hierarchy would be deeper than [`crate::fleet::MAX_GROUP_DEPTH`] levels.
    #[error("thing group hierarchy would be too deep")]
    HierarchyTooDeep,
    /// A group with child groups cannot be deleted.
    #[error("thing group has child groups")]
    GroupHasChildren,
    /// Dynamic group membership follows its query; things cannot be added or removed by hand.
    #[error("dynamic thing groups cannot be changed by hand")]
    DynamicGroupIsReadOnly,
    /// Dynamic groups have neither parent nor child groups.
    #[error("dynamic thing groups cannot be nested")]
    DynamicGroupNotNestable,
    /// The thing is a direct member of as many static groups as the limits allow.
    #[error("thing is in too many thing groups")]
    TooManyGroups,
    /// [`crate::fleet::FleetLimits::one_group_per_hierarchy`] is set and the thing is already
    /// in a group of this hierarchy.
    #[error("thing is already in a group of this hierarchy")]
    AlreadyInHierarchy,
    /// Ids (2^32 - 1 things or groups) or name storage (4 GiB) are used up.
    #[error("fleet capacity exceeded")]
    CapacityExceeded,
}
