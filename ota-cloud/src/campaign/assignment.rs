//! Planning, without I/O: whether a described thing may take the release, the order devices
//! are dealt in, and which stage each goes to.

use std::collections::{BTreeMap, BTreeSet};

use ota_core::version::Version;

use super::event::RefusalReason;
use super::spec::{AssignmentOrder, Eligibility, Stage, StageSize};
use crate::catalog::Release;
use crate::service::Thing;

fn attribute<'t>(thing: &'t Thing, key: &str) -> Option<&'t str> {
    thing
        .attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Whether `thing` may take `release`, from its attributes as `rules` name them.
pub(crate) fn check(
    release: &Release,
    rules: &Eligibility,
    thing: &Thing,
) -> Result<(), RefusalReason> {
    let hardware = attribute(thing, &rules.hardware_attribute)
        .ok_or_else(|| RefusalReason::MissingAttribute(rules.hardware_attribute.clone()))?;
    let running = match rules.assume_version {
        Some(v) => v,
        None => {
            let text = attribute(thing, &rules.version_attribute)
                .ok_or_else(|| RefusalReason::MissingAttribute(rules.version_attribute.clone()))?;
            Version::parse(text).map_err(|error| RefusalReason::InvalidVersion {
                value: text.chars().take(64).collect(),
                error,
            })?
        }
    };
    release.can_take(hardware, &running)?;
    Ok(())
}

/// Put `things` (sorted by name) in the dealing order.
pub(crate) fn arrange<T>(things: &mut [T], order: AssignmentOrder) {
    if let AssignmentOrder::Shuffled { seed } = order {
        let mut rng = SplitMix64(seed);
        // Fisher-Yates, from the end.
        for i in (1..things.len()).rev() {
            let bound = (i + 1) as u64;
            let j = (rng.next() % bound) as usize;
            things.swap(i, j);
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny fixed generator, enough to spread canaries.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Deal `eligible` (in dealing order) to `stages`: each stage takes, in that order, from
/// the devices no earlier stage took. `groups` holds the members of every group a stage
/// size names. Returns each stage's devices and those left over.
pub(crate) fn assign(
    stages: &[Stage],
    eligible: &[Thing],
    groups: &BTreeMap<String, BTreeSet<String>>,
) -> (Vec<Vec<String>>, Vec<String>) {
    let total = eligible.len() as u64;
    let mut taken = vec![false; eligible.len()];
    let mut dealt = Vec::with_capacity(stages.len());
    for stage in stages {
        let wanted: Box<dyn Fn(&Thing) -> bool> = match &stage.size {
            StageSize::Count(_) | StageSize::Percent(_) => Box::new(|_| true),
            StageSize::Group(g) => {
                let members = groups.get(g);
                Box::new(move |t: &Thing| members.is_some_and(|m| m.contains(&t.name)))
            }
            StageSize::Attribute { key, value } => {
                Box::new(move |t: &Thing| attribute(t, key) == Some(value.as_str()))
            }
        };
        let limit = match &stage.size {
            StageSize::Count(n) => u64::from(*n),
            StageSize::Percent(p) => p.of_rounded_up(total),
            StageSize::Group(_) | StageSize::Attribute { .. } => u64::MAX,
        };
        let mut devices = Vec::new();
        for (i, thing) in eligible.iter().enumerate() {
            if devices.len() as u64 >= limit {
                break;
            }
            if !taken[i] && wanted(thing) {
                taken[i] = true;
                devices.push(thing.name.clone());
            }
        }
        dealt.push(devices);
    }
    let left = eligible
        .iter()
        .zip(&taken)
        .filter(|(_, taken)| !**taken)
        .map(|(t, _)| t.name.clone())
        .collect();
    (dealt, left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Percent;
    use crate::catalog::{Incompatibility, VersionReq};

    fn thing(name: &str, attrs: &[(&str, &str)]) -> Thing {
        Thing {
            name: name.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn fleet(n: usize) -> Vec<Thing> {
        (0..n)
            .map(|i| {
                let region = if i % 2 == 0 { "eu" } else { "us" };
                thing(&format!("d{i:03}"), &[("region", region)])
            })
            .collect()
    }

    fn names(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    #[test]
    fn eligibility_names_the_reason() {
        let release = Release::new("fw", "acme", Version::new(2, 0, 0), ["a"], "{}")
            .requiring(VersionReq::parse(">=1.0.0").unwrap());
        let rules = Eligibility::default();
        let ok = thing("t", &[("hardware", "a"), ("version", "1.2.0")]);
        assert_eq!(check(&release, &rules, &ok), Ok(()));
        let refusal = |attributes: &[(&str, &str)]| {
            check(&release, &rules, &thing("t", attributes)).unwrap_err()
        };
        let missing = |name: &str| RefusalReason::MissingAttribute(name.into());
        assert_eq!(refusal(&[("version", "1.2.0")]), missing("hardware"));
        assert_eq!(refusal(&[("hardware", "a")]), missing("version"));
        assert!(matches!(
            refusal(&[("hardware", "a"), ("version", "v1")]),
            RefusalReason::InvalidVersion { .. }
        ));
        assert!(matches!(
            refusal(&[("hardware", "b"), ("version", "1.0.0")]),
            RefusalReason::Incompatible(Incompatibility::WrongHardware { .. })
        ));
        assert!(matches!(
            refusal(&[("hardware", "a"), ("version", "0.9.0")]),
            RefusalReason::Incompatible(Incompatibility::RunningVersionNotAllowed { .. })
        ));
        let assumed = Eligibility {
            hardware_attribute: "hw".into(),
            assume_version: Some(Version::new(1, 5, 0)),
            ..Eligibility::default()
        };
        assert_eq!(
            check(&release, &assumed, &thing("t", &[("hw", "a")])),
            Ok(())
        );
    }

    #[test]
    fn percent_is_of_all_eligible_rounded_up_and_capped() {
        let stages = [
            Stage::new("one", StageSize::Percent(Percent::whole(1))),
            Stage::new("ten", StageSize::Percent(Percent::whole(10))),
            Stage::new("rest", StageSize::Percent(Percent::ALL)),
        ];
        let (dealt, left) = assign(&stages, &fleet(50), &BTreeMap::new());
        let sizes: Vec<usize> = dealt.iter().map(Vec::len).collect();
        assert_eq!(sizes, [1, 5, 44]);
        assert!(left.is_empty());
        assert_eq!(names(&dealt[0]), ["d000"]);
    }

    #[test]
    fn count_group_and_attribute_sizes_never_take_a_device_twice() {
        let groups = BTreeMap::from([(
            "lab".to_string(),
            BTreeSet::from(["d000".to_string(), "d001".to_string(), "zzz".to_string()]),
        )]);
        let stages = [
            Stage::new("lab", StageSize::Group("lab".into())),
            Stage::new("two", StageSize::Count(2)),
            Stage::new(
                "eu",
                StageSize::Attribute {
                    key: "region".into(),
                    value: "eu".into(),
                },
            ),
            Stage::new("missing", StageSize::Group("nope".into())),
        ];
        let (dealt, left) = assign(&stages, &fleet(8), &groups);
        assert_eq!(names(&dealt[0]), ["d000", "d001"]);
        assert_eq!(names(&dealt[1]), ["d002", "d003"]);
        assert_eq!(names(&dealt[2]), ["d004", "d006"]);
        assert!(dealt[3].is_empty());
        assert_eq!(names(&left), ["d005", "d007"]);
    }

    proptest::proptest! {
        #[test]
        fn stages_partition_the_eligible_devices(
            sizes in proptest::collection::vec((0u8..4, 0u32..30), 0..6),
            n in 0usize..60,
            seed: u64,
        ) {
            let groups = BTreeMap::from([(
                "g".to_string(),
                (0..n).step_by(3).map(|i| format!("d{i:03}")).collect::<BTreeSet<_>>(),
            )]);
            let stages: Vec<Stage> = sizes
                .iter()
                .enumerate()
                .map(|(i, (kind, k))| {
                    let size = match kind {
                        0 => StageSize::Count(*k),
                        1 => StageSize::Percent(Percent::whole(*k * 4)),
                        2 => StageSize::Group("g".into()),
                        _ => StageSize::Attribute { key: "region".into(), value: "eu".into() },
                    };
                    Stage::new(format!("s{i}"), size)
                })
                .collect();
            let mut eligible = fleet(n);
            arrange(&mut eligible, AssignmentOrder::Shuffled { seed });
            let (dealt, left) = assign(&stages, &eligible, &groups);
            let mut all: Vec<&String> = dealt.iter().flatten().chain(&left).collect();
            all.sort();
            let before = all.len();
            all.dedup();
            proptest::prop_assert_eq!(before, all.len(), "a device dealt twice");
            proptest::prop_assert_eq!(all.len(), n, "a device lost");
            for (stage, devices) in stages.iter().zip(&dealt) {
                if let StageSize::Count(k) = stage.size {
                    proptest::prop_assert!(devices.len() <= k as usize);
                }
            }
        }
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let sorted: Vec<u32> = (0..100).collect();
        let shuffle = |seed| {
            let mut v = sorted.clone();
            arrange(&mut v, AssignmentOrder::Shuffled { seed });
            v
        };
        assert_eq!(shuffle(7), shuffle(7));
        assert_ne!(shuffle(7), shuffle(8));
        assert_ne!(shuffle(7), sorted);
        let mut back = shuffle(7);
        back.sort_unstable();
        assert_eq!(back, sorted);
        let mut by_name = sorted.clone();
        arrange(&mut by_name, AssignmentOrder::ByName);
        assert_eq!(by_name, sorted);
        // Pinned so that a change of generator is noticed (plans must stay reproducible).
        assert_eq!(&shuffle(1)[..5], &[32, 42, 35, 28, 3]);
        assert_eq!(
            SplitMix64(0).next(),
            0xe220_a839_7b1d_cdaf,
            "the published first output"
        );
    }
}
