//! Scenario tests of the fleet: hierarchy, deletion, dynamic groups, limits, errors.

use super::*;

/// Drain the change queue as `(group name, thing name, joined)`.
fn drain(fleet: &mut Fleet) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let mut names = |fleet: &Fleet, c: MembershipChange| {
        let group = fleet.group_name(c.group).unwrap_or("<deleted>").to_owned();
        let thing = fleet.thing_name(c.thing).unwrap_or("<deleted>").to_owned();
        out.push((group, thing, c.joined));
    };
    while let Some(c) = fleet.poll_membership_change() {
        names(fleet, c);
    }
    out
}

fn ev(group: &str, thing: &str, joined: bool) -> (String, String, bool) {
    (group.to_owned(), thing.to_owned(), joined)
}

/// `thing` joining (or leaving) each of `groups`, in order.
fn evs(groups: &[&str], thing: &str, joined: bool) -> Vec<(String, String, bool)> {
    groups.iter().map(|g| ev(g, thing, joined)).collect()
}

fn ids(raw: &[u32]) -> Vec<ThingId> {
    raw.iter().copied().map(ThingId).collect()
}

/// `a > b > c > d`, things `t0`..`t3`.
fn chain() -> Fleet {
    let mut f = Fleet::new();
    f.create_group("a", None).unwrap();
    f.create_group("b", Some("a")).unwrap();
    f.create_group("c", Some("b")).unwrap();
    f.create_group("d", Some("c")).unwrap();
    for i in 0..4 {
        f.create_thing(&format!("t{i}"), &[]).unwrap();
    }
    f
}

#[test]
fn nested_membership_through_several_levels() {
    let mut f = chain();
    f.add_to_group("d", "t2").unwrap();
    assert_eq!(drain(&mut f), evs(&["d", "c", "b", "a"], "t2", true));
    f.add_to_group("b", "t0").unwrap();
    f.add_to_group("a", "t3").unwrap();
    assert_eq!(
        drain(&mut f),
        [
            ev("b", "t0", true),
            ev("a", "t0", true),
            ev("a", "t3", true)
        ]
    );
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|g| f.group(g).unwrap());
    assert_eq!(f.members(a), ids(&[0, 2, 3]));
    assert_eq!(f.members(b), ids(&[0, 2]));
    assert_eq!(f.members(c), ids(&[2]));
    assert_eq!(f.members(d), ids(&[2]));
    assert!(f.is_member(a, ThingId(2)) && !f.is_member(c, ThingId(0)));
    assert_eq!(f.member_count(a), 3);
    assert_eq!((f.parent(d), f.children(a)), (Some(c), &[b][..]));

    f.add_to_group("d", "t2").unwrap();
    assert!(
        drain(&mut f).is_empty(),
        "adding a direct member again changes nothing"
    );
    f.remove_from_group("d", "t2").unwrap();
    assert_eq!(drain(&mut f), evs(&["d", "c", "b", "a"], "t2", false));
    f.remove_from_group("d", "t2").unwrap();
    assert!(
        drain(&mut f).is_empty(),
        "removing a non-member changes nothing"
    );
}

#[test]
fn removal_keeps_membership_through_another_path() {
    let mut f = Fleet::new();
    f.create_group("root", None).unwrap();
    f.create_group("x", Some("root")).unwrap();
    f.create_group("y", Some("root")).unwrap();
    f.create_group("x1", Some("x")).unwrap();
    let t = f.create_thing("t", &[]).unwrap();
    f.add_to_group("x1", "t").unwrap();
    f.add_to_group("y", "t").unwrap();
    assert_eq!(drain(&mut f), evs(&["x1", "x", "root", "y"], "t", true));
    // Already in `root` through its children: making it a direct member changes nothing.
    f.add_to_group("root", "t").unwrap();
    assert!(drain(&mut f).is_empty());
    f.remove_from_group("x1", "t").unwrap();
    assert_eq!(drain(&mut f), [ev("x1", "t", false), ev("x", "t", false)]);
    f.remove_from_group("root", "t").unwrap();
    assert!(drain(&mut f).is_empty(), "still in root through y");
    f.remove_from_group("y", "t").unwrap();
    assert_eq!(drain(&mut f), [ev("y", "t", false), ev("root", "t", false)]);
    let root = f.group("root").unwrap();
    assert!(!f.is_member(root, t) && f.members(root).is_empty());
}

#[test]
fn deleting_a_thing_leaves_every_group() {
    let mut f = chain();
    f.create_group("other", None).unwrap();
    f.set_attribute("t1", "fw", Some("7")).unwrap();
    let dynamic = f.create_dynamic_group("fw7", "attributes.fw:7").unwrap();
    f.add_to_group("c", "t1").unwrap();
    f.add_to_group("other", "t1").unwrap();
    drain(&mut f);
    let t1 = f.thing("t1").unwrap();
    assert_eq!(f.delete_thing("t1"), Ok(t1));
    let left: Vec<_> = core::iter::from_fn(|| f.poll_membership_change()).collect();
    let mut groups: Vec<_> = left
        .iter()
        .map(|c| (c.group.0, c.thing, c.joined))
        .collect();
    groups.sort_unstable();
    assert_eq!(
        groups,
        [
            (0, t1, false),
            (1, t1, false),
            (2, t1, false),
            (4, t1, false),
            (5, t1, false)
        ]
    );
    assert!(f.groups().all(|g| !f.is_member(g, t1)));
    assert_eq!(
        (f.thing("t1"), f.thing_name(t1), f.attribute(t1, "fw")),
        (None, None, None)
    );
    assert_eq!(f.delete_thing("t1"), Err(FleetError::ThingNotFound));
    assert_eq!(f.thing_count(), 3);
    // The name is free again; the id is not reused.
    let again = f.create_thing("t1", &[("fw", "7")]).unwrap();
    assert_eq!(again, ThingId(4));
    assert_eq!(drain(&mut f), [ev("fw7", "t1", true)]);
    assert_eq!(f.members(dynamic), [again]);
    assert_eq!(f.members(f.group("c").unwrap()), []);
}

#[test]
fn deleting_a_group() {
    let mut f = chain();
    f.create_group("d2", Some("c")).unwrap();
    f.add_to_group("d", "t0").unwrap();
    f.add_to_group("d", "t1").unwrap();
    f.add_to_group("d2", "t1").unwrap();
    drain(&mut f);
    assert_eq!(f.delete_group("c"), Err(FleetError::GroupHasChildren));
    let d = f.group("d").unwrap();
    f.delete_group("d").unwrap();
    assert_eq!(
        drain(&mut f),
        [
            ev("<deleted>", "t0", false),
            ev("c", "t0", false),
            ev("b", "t0", false),
            ev("a", "t0", false),
            ev("<deleted>", "t1", false),
        ]
    );
    let c = f.group("c").unwrap();
    assert_eq!(
        (f.group("d"), f.group_name(d), f.members(d)),
        (None, None, vec![])
    );
    assert_eq!(f.children(c), [f.group("d2").unwrap()]);
    assert_eq!(f.members(c), ids(&[1]));
    assert_eq!(f.delete_group("d"), Err(FleetError::GroupNotFound));
    // The name is free again; the id is not reused.
    assert_eq!(f.create_group("d", None), Ok(GroupId(5)));
    assert_eq!(f.group_count(), 5);
    // Deleting a dynamic group reports its members leaving.
    f.create_dynamic_group("dyn", "thingName:t*").unwrap();
    assert_eq!(drain(&mut f).len(), 4);
    f.delete_group("dyn").unwrap();
    assert_eq!(
        drain(&mut f),
        (0..4)
            .map(|i| ev("<deleted>", &format!("t{i}"), false))
            .collect::<Vec<_>>()
    );
    f.create_thing("t9", &[]).unwrap();
    assert!(
        drain(&mut f).is_empty(),
        "a deleted dynamic group is not evaluated"
    );
}

#[test]
fn cycles_are_refused() {
    let mut f = chain();
    assert_eq!(f.set_parent("a", Some("d")), Err(FleetError::GroupCycle));
    assert_eq!(f.set_parent("b", Some("c")), Err(FleetError::GroupCycle));
    assert_eq!(f.set_parent("c", Some("c")), Err(FleetError::GroupCycle));
    assert_eq!(
        f.set_parent("c", Some("b")),
        Ok(()),
        "to where it is: nothing to do"
    );
    assert_eq!(f.parent(f.group("a").unwrap()), None);
}

#[test]
fn depth_is_limited_to_seven() {
    let mut f = Fleet::new();
    f.create_group("g1", None).unwrap();
    for level in 2..=MAX_GROUP_DEPTH {
        f.create_group(&format!("g{level}"), Some(&format!("g{}", level - 1)))
            .unwrap();
    }
    assert_eq!(
        f.create_group("g8", Some("g7")),
        Err(FleetError::HierarchyTooDeep)
    );
    assert_eq!(f.group("g8"), None, "nothing created on error");
    // A two-level subtree fits under g5 but not under g6.
    f.create_group("s", None).unwrap();
    f.create_group("s2", Some("s")).unwrap();
    assert_eq!(
        f.set_parent("s", Some("g6")),
        Err(FleetError::HierarchyTooDeep)
    );
    assert_eq!(f.set_parent("s", Some("g5")), Ok(()));
    assert_eq!(
        f.create_group("s3", Some("s2")),
        Err(FleetError::HierarchyTooDeep)
    );
}

#[test]
fn moving_a_group_moves_its_members() {
    let mut f = chain();
    f.create_group("z", None).unwrap();
    f.add_to_group("d", "t0").unwrap();
    f.add_to_group("b", "t1").unwrap();
    f.add_to_group("z", "t1").unwrap();
    drain(&mut f);
    f.set_parent("c", Some("z")).unwrap();
    assert_eq!(
        drain(&mut f),
        [
            ev("b", "t0", false),
            ev("a", "t0", false),
            ev("z", "t0", true)
        ]
    );
    assert_eq!(f.members(f.group("z").unwrap()), ids(&[0, 1]));
    f.set_parent("c", None).unwrap();
    assert_eq!(drain(&mut f), [ev("z", "t0", false)]);
    assert_eq!(
        f.set_parent("c", Some("nope")),
        Err(FleetError::GroupNotFound)
    );
}

#[test]
fn dynamic_groups_follow_attribute_changes() {
    let mut f = Fleet::new();
    f.create_thing("cam-1", &[("model", "esp32"), ("fw", "40")])
        .unwrap();
    f.create_thing("cam-2", &[("model", "esp32"), ("fw", "42")])
        .unwrap();
    f.create_thing("door-1", &[("model", "nrf52")]).unwrap();
    let old = f
        .create_dynamic_group(
            "old-esp",
            "attributes.model:ESP* AND attributes.fw:[* TO 41]",
        )
        .unwrap();
    let not_cam = f
        .create_dynamic_group("not-cam", "NOT thingName:cam*")
        .unwrap();
    assert_eq!(
        drain(&mut f),
        [ev("old-esp", "cam-1", true), ev("not-cam", "door-1", true)]
    );

    f.set_attribute("cam-2", "fw", Some("41")).unwrap();
    assert_eq!(drain(&mut f), [ev("old-esp", "cam-2", true)]);
    f.set_attribute("cam-1", "fw", Some("43")).unwrap();
    assert_eq!(drain(&mut f), [ev("old-esp", "cam-1", false)]);
    f.set_attribute("cam-1", "color", Some("red")).unwrap();
    f.set_attribute("cam-1", "fw", Some("43")).unwrap();
    assert!(drain(&mut f).is_empty(), "unrelated key or same value");
    f.set_attribute("cam-2", "model", None).unwrap();
    assert_eq!(drain(&mut f), [ev("old-esp", "cam-2", false)]);
    f.set_attribute("cam-2", "model", Some("esp32-s3")).unwrap();
    assert_eq!(drain(&mut f), [ev("old-esp", "cam-2", true)]);
    f.set_attribute("cam-2", "fw", Some("")).unwrap();
    assert_eq!(
        drain(&mut f),
        [ev("old-esp", "cam-2", false)],
        "empty removes"
    );
    assert_eq!(f.attribute(f.thing("cam-2").unwrap(), "fw"), None);

    f.create_thing("cam-3", &[("model", "esp32"), ("fw", "1")])
        .unwrap();
    f.create_thing("lamp", &[]).unwrap();
    assert_eq!(
        drain(&mut f),
        [ev("old-esp", "cam-3", true), ev("not-cam", "lamp", true)]
    );
    assert_eq!(f.members(old), [f.thing("cam-3").unwrap()]);
    assert_eq!(f.members(not_cam), ids(&[2, 4]));
    assert!(f.is_dynamic(old) && f.query(old).is_some_and(|q| q.as_str().starts_with("attr")));
    assert_eq!(f.parent(old), None);
    assert!(f.children(old).is_empty());
}

/// Assert that each of `refusals` (a call's error, if any, and the error expected) is
/// that error; the index names the case.
fn assert_refused<const N: usize>(refusals: [(Option<FleetError>, FleetError); N]) {
    for (i, (got, expected)) in refusals.into_iter().enumerate() {
        assert_eq!(got, Some(expected), "case {i}");
    }
}

#[test]
fn dynamic_groups_are_read_only_and_flat() {
    use FleetError::{AlreadyExists, DynamicGroupIsReadOnly, DynamicGroupNotNestable};
    let mut f = Fleet::new();
    f.create_thing("t", &[]).unwrap();
    f.create_group("s", None).unwrap();
    f.create_dynamic_group("d", "thingName:*").unwrap();
    assert_refused([
        (f.add_to_group("d", "t").err(), DynamicGroupIsReadOnly),
        (f.remove_from_group("d", "t").err(), DynamicGroupIsReadOnly),
        (
            f.create_group("c", Some("d")).err(),
            DynamicGroupNotNestable,
        ),
        (f.set_parent("d", Some("s")).err(), DynamicGroupNotNestable),
        (f.set_parent("s", Some("d")).err(), DynamicGroupNotNestable),
        (
            f.create_dynamic_group("s", "thingName:*").err(),
            AlreadyExists,
        ),
        (f.create_group("d", None).err(), AlreadyExists),
    ]);
    assert_eq!(
        f.create_dynamic_group("e", "thingName:"),
        Err(FleetError::InvalidQuery {
            position: 10,
            reason: "missing value"
        })
    );
    assert_eq!(f.group("e"), None);
}

#[test]
fn names_and_lookups_are_checked() {
    use FleetError::{AlreadyExists, GroupNotFound, InvalidAttribute, InvalidName, ThingNotFound};
    let mut f = Fleet::new();
    let long = "x".repeat(129);
    assert_refused([
        (f.create_thing("", &[]).err(), InvalidName),
        (f.create_thing("a/b", &[]).err(), InvalidName),
        (f.create_thing(&long, &[]).err(), InvalidName),
        (f.create_thing("t", &[("a b", "1")]).err(), InvalidAttribute),
        (f.create_thing("t", &[("a", "1 2")]).err(), InvalidAttribute),
        (
            f.create_thing("t", &[("a", "1"), ("a", "2")]).err(),
            InvalidAttribute,
        ),
    ]);
    assert!(f.create_thing(&"x".repeat(128), &[]).is_ok());
    let t = f.create_thing("t", &[("z", "1"), ("a", "x=[y]")]).unwrap();
    assert_eq!(f.create_thing("t", &[]), Err(AlreadyExists));
    assert_eq!(
        f.attributes(t).collect::<Vec<_>>(),
        [("a", "x=[y]"), ("z", "1")]
    );
    assert_eq!(f.attributes(ThingId(99)).count(), 0);
    assert_eq!(f.create_group("g:1", None), Ok(GroupId(0)));
    assert_refused([
        (f.set_attribute("nope", "a", None).err(), ThingNotFound),
        (f.set_attribute("t", "a", Some("é")).err(), InvalidAttribute),
        (f.create_group("g 2", None).err(), InvalidName),
        (f.create_group("g", Some("nope")).err(), GroupNotFound),
        (f.add_to_group("nope", "t").err(), GroupNotFound),
        (f.add_to_group("g:1", "nope").err(), ThingNotFound),
        (f.remove_from_group("g:1", "nope").err(), ThingNotFound),
        (f.delete_group("nope").err(), GroupNotFound),
    ]);
    assert_eq!(f.members(GroupId(7)), []);
    assert!(!f.is_member(GroupId(7), t));
    assert_eq!(
        (f.group_name(GroupId(7)), f.thing_name(ThingId(7))),
        (None, None)
    );
    assert_eq!(f.things().collect::<Vec<_>>(), ids(&[0, 1]));
    assert_eq!(f.pending_membership_changes(), 0);
    assert!(format!("{f:?}").contains("things: 2"));
}

#[test]
fn aws_limits() {
    use FleetError::{AlreadyInHierarchy, TooManyGroups};
    let mut f = Fleet::with_limits(FleetLimits::aws());
    assert_eq!(f.limits(), FleetLimits::aws());
    f.create_thing("t", &[]).unwrap();
    for i in 0..11 {
        f.create_group(&format!("g{i}"), None).unwrap();
    }
    for i in 0..10 {
        f.add_to_group(&format!("g{i}"), "t").unwrap();
    }
    assert_eq!(f.add_to_group("g10", "t"), Err(TooManyGroups));
    f.remove_from_group("g0", "t").unwrap();
    f.create_group("g0-child", Some("g0")).unwrap();
    f.create_group("g1-child", Some("g1")).unwrap();
    f.add_to_group("g0-child", "t").unwrap();
    assert_eq!(f.add_to_group("g0", "t"), Err(TooManyGroups));
    f.remove_from_group("g2", "t").unwrap();
    assert_refused([
        (f.add_to_group("g0", "t").err(), AlreadyInHierarchy),
        (f.add_to_group("g1-child", "t").err(), AlreadyInHierarchy),
        (f.set_parent("g0", Some("g1")).err(), AlreadyInHierarchy),
    ]);
    f.remove_from_group("g1", "t").unwrap();
    assert_eq!(f.set_parent("g0", Some("g1")), Ok(()));
}

#[test]
fn thing_table_stays_small() {
    let mut f = Fleet::new();
    let n = 100_000;
    for i in 0..n {
        f.create_thing(&format!("thing-{i:07}"), &[]).unwrap();
    }
    let per_thing = f.things.heap_bytes() / n;
    // Vectors are at most half empty after growing; 1M things land near 42 bytes.
    assert!(per_thing <= 64, "{per_thing} bytes per thing");
}

#[test]
fn drained_queue_gives_memory_back() {
    let mut f = Fleet::new();
    for i in 0..10_000 {
        f.create_thing(&format!("t{i}"), &[]).unwrap();
    }
    f.create_dynamic_group("all", "thingName:*").unwrap();
    assert_eq!(f.pending_membership_changes(), 10_000);
    assert!(f.changes.capacity() >= 10_000);
    while f.poll_membership_change().is_some() {}
    assert!(f.changes.capacity() <= KEPT_CHANGES);
}
