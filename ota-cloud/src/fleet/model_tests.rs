//! Random operation sequences on a small fleet, checked against a naive model that
//! recomputes every group's members from scratch after each step.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

const THINGS: usize = 6;
/// Eight names, so a chain can be deeper than [`MAX_GROUP_DEPTH`].
const GROUPS: usize = 8;
const KEYS: [&str; 2] = ["a", "b"];
const VALUES: [&str; 4] = ["1", "2", "x9", ""];
const QUERIES: [&str; 4] = [
    "attributes.a:1",
    "attributes.a:* AND NOT attributes.b:2",
    "thingName:t1 OR attributes.b:[1 TO 2]",
    "NOT attributes.a:x*",
];

#[derive(Clone, Debug)]
enum Op {
    CreateThing(usize, Vec<(usize, usize)>),
    DeleteThing(usize),
    SetAttribute(usize, usize, Option<usize>),
    CreateGroup(usize, Option<usize>),
    CreateDynamic(usize, usize),
    DeleteGroup(usize),
    Add(usize, usize),
    Remove(usize, usize),
    SetParent(usize, Option<usize>),
}

fn op() -> impl Strategy<Value = Op> {
    let t = 0..THINGS;
    let g = 0..GROUPS;
    let attrs = proptest::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..3);
    prop_oneof![
        3 => (t.clone(), attrs).prop_map(|(t, a)| Op::CreateThing(t, a)),
        1 => t.clone().prop_map(Op::DeleteThing),
        3 => (t.clone(), 0..KEYS.len(), proptest::option::of(0..VALUES.len()))
            .prop_map(|(t, k, v)| Op::SetAttribute(t, k, v)),
        3 => (g.clone(), proptest::option::of(g.clone())).prop_map(|(g, p)| Op::CreateGroup(g, p)),
        1 => (g.clone(), 0..QUERIES.len()).prop_map(|(g, q)| Op::CreateDynamic(g, q)),
        1 => g.clone().prop_map(Op::DeleteGroup),
        4 => (g.clone(), t.clone()).prop_map(|(g, t)| Op::Add(g, t)),
        2 => (g.clone(), t).prop_map(|(g, t)| Op::Remove(g, t)),
        2 => (g.clone(), proptest::option::of(g)).prop_map(|(g, p)| Op::SetParent(g, p)),
    ]
}

struct MThing {
    name: String,
    attrs: BTreeMap<&'static str, &'static str>,
}

enum MKind {
    Static {
        parent: Option<usize>,
        direct: BTreeSet<u32>,
    },
    Dynamic(Query),
}

struct MGroup {
    name: String,
    kind: MKind,
}

/// Indexed like the fleet's ids: one entry per successful creation, `None` once deleted.
#[derive(Default)]
struct Model {
    things: Vec<Option<MThing>>,
    groups: Vec<Option<MGroup>>,
}

type Outcome = Result<(), ()>;

impl Model {
    fn thing(&self, name: &str) -> Option<usize> {
        self.things
            .iter()
            .position(|t| t.as_ref().is_some_and(|t| t.name == name))
    }

    fn group(&self, name: &str) -> Option<usize> {
        self.groups
            .iter()
            .position(|g| g.as_ref().is_some_and(|g| g.name == name))
    }

    fn parent(&self, g: usize) -> Option<usize> {
        match self.groups[g].as_ref().map(|g| &g.kind) {
            Some(MKind::Static { parent, .. }) => *parent,
            _ => None,
        }
    }

    fn is_static(&self, g: usize) -> bool {
        matches!(
            self.groups[g].as_ref().map(|g| &g.kind),
            Some(MKind::Static { .. })
        )
    }

    fn children(&self, g: usize) -> Vec<usize> {
        (0..self.groups.len())
            .filter(|&c| self.is_static(c) && self.parent(c) == Some(g))
            .collect()
    }

    fn depth(&self, g: usize) -> usize {
        1 + self.parent(g).map_or(0, |p| self.depth(p))
    }

    fn height(&self, g: usize) -> usize {
        1 + self
            .children(g)
            .into_iter()
            .map(|c| self.height(c))
            .max()
            .unwrap_or(0)
    }

    /// Members recomputed from scratch.
    fn members(&self, g: usize) -> BTreeSet<u32> {
        match self.groups[g].as_ref().map(|g| &g.kind) {
            None => BTreeSet::new(),
            Some(MKind::Static { direct, .. }) => {
                let mut all = direct.clone();
                for c in self.children(g) {
                    all.extend(self.members(c));
                }
                all
            }
            Some(MKind::Dynamic(q)) => (0..self.things.len())
                .filter(|&t| {
                    self.things[t]
                        .as_ref()
                        .is_some_and(|t| q.matches(&t.name, |k| t.attrs.get(k).copied()))
                })
                .map(|t| t as u32)
                .collect(),
        }
    }

    fn direct(&mut self, g: usize) -> Option<&mut BTreeSet<u32>> {
        match &mut self.groups[g].as_mut()?.kind {
            MKind::Static { direct, .. } => Some(direct),
            MKind::Dynamic(_) => None,
        }
    }

    fn apply(&mut self, op: &Op) -> Outcome {
        let tn = |t: usize| format!("t{t}");
        let gn = |g: usize| format!("g{g}");
        match op {
            Op::CreateThing(t, attrs) => {
                let keys: BTreeSet<_> = attrs.iter().map(|&(k, _)| k).collect();
                if self.thing(&tn(*t)).is_some() || keys.len() != attrs.len() {
                    return Err(());
                }
                let attrs = attrs
                    .iter()
                    .filter(|&&(_, v)| !VALUES[v].is_empty())
                    .map(|&(k, v)| (KEYS[k], VALUES[v]))
                    .collect();
                self.things.push(Some(MThing {
                    name: tn(*t),
                    attrs,
                }));
            }
            Op::DeleteThing(t) => {
                let id = self.thing(&tn(*t)).ok_or(())?;
                self.things[id] = None;
                for g in 0..self.groups.len() {
                    if let Some(direct) = self.direct(g) {
                        direct.remove(&(id as u32));
                    }
                }
            }
            Op::SetAttribute(t, k, v) => {
                let id = self.thing(&tn(*t)).ok_or(())?;
                let attrs = &mut self.things[id].as_mut().ok_or(())?.attrs;
                match v.map(|v| VALUES[v]).filter(|v| !v.is_empty()) {
                    Some(v) => attrs.insert(KEYS[*k], v),
                    None => attrs.remove(KEYS[*k]),
                };
            }
            Op::CreateGroup(g, p) => {
                if self.group(&gn(*g)).is_some() {
                    return Err(());
                }
                let parent = match p {
                    None => None,
                    Some(p) => {
                        let p = self.group(&gn(*p)).ok_or(())?;
                        if !self.is_static(p) || self.depth(p) >= MAX_GROUP_DEPTH {
                            return Err(());
                        }
                        Some(p)
                    }
                };
                let kind = MKind::Static {
                    parent,
                    direct: BTreeSet::new(),
                };
                self.groups.push(Some(MGroup { name: gn(*g), kind }));
            }
            Op::CreateDynamic(g, q) => {
                if self.group(&gn(*g)).is_some() {
                    return Err(());
                }
                let kind = MKind::Dynamic(Query::parse(QUERIES[*q]).map_err(|_| ())?);
                self.groups.push(Some(MGroup { name: gn(*g), kind }));
            }
            Op::DeleteGroup(g) => {
                let id = self.group(&gn(*g)).ok_or(())?;
                if !self.children(id).is_empty() {
                    return Err(());
                }
                self.groups[id] = None;
            }
            Op::Add(g, t) | Op::Remove(g, t) => {
                let gid = self.group(&gn(*g)).ok_or(())?;
                let tid = self.thing(&tn(*t)).ok_or(())? as u32;
                let direct = self.direct(gid).ok_or(())?;
                if matches!(op, Op::Add(..)) {
                    direct.insert(tid);
                } else {
                    direct.remove(&tid);
                }
            }
            Op::SetParent(g, p) => {
                let gid = self.group(&gn(*g)).ok_or(())?;
                let new = match p {
                    None => None,
                    Some(p) => Some(self.group(&gn(*p)).ok_or(())?),
                };
                if !self.is_static(gid) || new.is_some_and(|p| !self.is_static(p)) {
                    return Err(());
                }
                if let Some(p) = new {
                    let mut at = Some(p);
                    while let Some(a) = at {
                        if a == gid {
                            return Err(());
                        }
                        at = self.parent(a);
                    }
                    if self.depth(p) + self.height(gid) > MAX_GROUP_DEPTH {
                        return Err(());
                    }
                }
                if let Some(MKind::Static { parent, .. }) =
                    self.groups[gid].as_mut().map(|g| &mut g.kind)
                {
                    *parent = new;
                }
            }
        }
        Ok(())
    }
}

fn run(fleet: &mut Fleet, op: &Op) -> Outcome {
    let tn = |t: usize| format!("t{t}");
    let gn = |g: usize| format!("g{g}");
    let result = match op {
        Op::CreateThing(t, attrs) => {
            let attrs: Vec<_> = attrs.iter().map(|&(k, v)| (KEYS[k], VALUES[v])).collect();
            fleet.create_thing(&tn(*t), &attrs).map(drop)
        }
        Op::DeleteThing(t) => fleet.delete_thing(&tn(*t)).map(drop),
        Op::SetAttribute(t, k, v) => fleet.set_attribute(&tn(*t), KEYS[*k], v.map(|v| VALUES[v])),
        Op::CreateGroup(g, p) => fleet.create_group(&gn(*g), p.map(gn).as_deref()).map(drop),
        Op::CreateDynamic(g, q) => fleet.create_dynamic_group(&gn(*g), QUERIES[*q]).map(drop),
        Op::DeleteGroup(g) => fleet.delete_group(&gn(*g)),
        Op::Add(g, t) => fleet.add_to_group(&gn(*g), &tn(*t)),
        Op::Remove(g, t) => fleet.remove_from_group(&gn(*g), &tn(*t)),
        Op::SetParent(g, p) => fleet.set_parent(&gn(*g), p.map(gn).as_deref()),
    };
    result.map_err(drop)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fleet_matches_a_naive_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mut fleet = Fleet::new();
        let mut model = Model::default();
        // Membership as told by the change queue.
        let mut told: BTreeSet<(u32, u32)> = BTreeSet::new();
        for op in &ops {
            let got = run(&mut fleet, op);
            let want = model.apply(op);
            prop_assert_eq!(got, want, "{:?}", op);
            while let Some(c) = fleet.poll_membership_change() {
                let key = (c.group.0, c.thing.0);
                if c.joined {
                    prop_assert!(told.insert(key), "joined twice: {:?} after {:?}", c, op);
                } else {
                    prop_assert!(told.remove(&key), "left without joining: {:?} after {:?}", c, op);
                }
            }
            prop_assert_eq!(fleet.thing_count(), model.things.iter().flatten().count());
            prop_assert_eq!(fleet.group_count(), model.groups.iter().flatten().count());
            for g in 0..model.groups.len() {
                let want = model.members(g);
                let id = GroupId(g as u32);
                let got: Vec<u32> = fleet.members(id).iter().map(|t| t.0).collect();
                prop_assert!(got.iter().eq(want.iter()), "members of g{} after {:?}", g, op);
                prop_assert_eq!(fleet.member_count(id), want.len());
                for t in 0..model.things.len() as u32 {
                    prop_assert_eq!(fleet.is_member(id, ThingId(t)), want.contains(&t));
                    prop_assert_eq!(told.contains(&(g as u32, t)), want.contains(&t), "told g{} t{}", g, t);
                }
            }
        }
    }
}
