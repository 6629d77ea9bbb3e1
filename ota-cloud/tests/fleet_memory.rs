//! Heap bytes per thing of a million-thing fleet, counted by the global allocator.
//!
//! Bytes are those requested from the allocator (its own per-block overhead is not seen).
//! Run with `--nocapture` to read the figures. This binary holds one test, so nothing else
//! allocates while it counts.

use std::alloc::System;
use std::fmt::Write;

use ota_cloud::fleet::{Fleet, ThingId};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const THINGS: usize = 1_000_000;
/// The budget for a thing without attributes, heap and all.
const BUDGET: f64 = 150.0;

/// Net heap bytes since `region` started, per thing.
fn per_thing(region: &Region<'_, System>) -> f64 {
    let stats = region.change();
    (stats.bytes_allocated as f64 - stats.bytes_deallocated as f64) / THINGS as f64
}

#[test]
fn a_million_things_cost_well_under_150_bytes_each() {
    let mut name = String::with_capacity(64);
    let region = Region::new(GLOBAL);
    let mut fleet = Fleet::new();
    for i in 0..THINGS {
        name.clear();
        write!(name, "thing-{i:07}").unwrap();
        fleet.create_thing(&name, &[]).unwrap();
    }
    let bare = per_thing(&region) + size_of::<Fleet>() as f64 / THINGS as f64;
    println!("1M things, 13-byte names, no attributes: {bare:.1} bytes/thing");
    assert!(bare < BUDGET, "{bare:.1} bytes per thing");
    assert_eq!(fleet.thing("thing-0999999"), Some(ThingId(999_999)));

    fleet.create_group("all", None).unwrap();
    fleet.create_group("half", Some("all")).unwrap();
    for i in 0..THINGS {
        name.clear();
        write!(name, "thing-{i:07}").unwrap();
        let group = if i % 2 == 0 { "half" } else { "all" };
        fleet.add_to_group(group, &name).unwrap();
    }
    drain(&mut fleet);
    let grouped = per_thing(&region);
    println!(
        "  + every thing in a static group of a two-level hierarchy: {grouped:.1} bytes/thing"
    );

    let dynamic = fleet
        .create_dynamic_group("dyn", "thingName:thing-*")
        .unwrap();
    assert_eq!(fleet.member_count(dynamic), THINGS);
    drain(&mut fleet);
    let with_dynamic = per_thing(&region);
    println!("  + a dynamic group matching every thing: {with_dynamic:.1} bytes/thing");

    for i in 0..THINGS {
        name.clear();
        write!(name, "thing-{i:07}").unwrap();
        fleet.set_attribute(&name, "model", Some("esp32")).unwrap();
        fleet.set_attribute(&name, "fw", Some("42")).unwrap();
    }
    let with_attributes = per_thing(&region);
    println!("  + attributes model=esp32, fw=42 on every thing: {with_attributes:.1} bytes/thing");
    assert!(with_attributes < 2.0 * BUDGET);
}

fn drain(fleet: &mut Fleet) {
    while fleet.poll_membership_change().is_some() {}
}
