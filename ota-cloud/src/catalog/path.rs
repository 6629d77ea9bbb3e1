//! Update paths: the shortest chain of allowed upgrades from a running version to a release.

use std::collections::VecDeque;

use ota_core::version::Version;

use super::{Catalog, Release};

impl Catalog {
    /// The shortest chain of releases that takes a device with `hardware` running `running`
    /// to the release `target`, the target last; empty when the device already runs the
    /// target's version; `None` when the target is unknown, not for this hardware, or
    /// unreachable.
    ///
    /// Every hop is a release of the target's product that supports `hardware`, follows
    /// the version before it (semver precedence, so no downgrade or reinstall hop) and
    /// accepts it in its `requires`; a breadth-first search over those releases.
    ///
    /// Ties: among chains of equal length, the one with the **newest release at the first
    /// hop where they differ** (newer intermediates carry more fixes), then the smaller id.
    ///
    /// Cost: O(releases²) checks; it does not cache.
    pub fn update_path(
        &self,
        target: &str,
        hardware: &str,
        running: &Version,
    ) -> Option<Vec<&Release>> {
        let target = self.get(target)?;
        if !target.supports(hardware) {
            return None;
        }
        if target.version.cmp_precedence(running).is_eq() {
            return Some(Vec::new());
        }
        // The hops that can lie on a path: newer than running, not newer than the target,
        // newest first (the tie-break order).
        let mut hops: Vec<&Release> = self
            .iter()
            .filter(|r| {
                r.product == target.product
                    && r.supports(hardware)
                    && r.version.cmp_precedence(running).is_gt()
                    && r.version.cmp_precedence(&target.version).is_le()
            })
            .collect();
        hops.sort_by(|a, b| {
            b.version
                .cmp_precedence(&a.version)
                .then_with(|| a.id.cmp(&b.id))
        });
        // parent[i]: the hop before hops[i] (`None` for the start); set on first discovery.
        let mut parent: Vec<Option<Option<usize>>> = vec![None; hops.len()];
        let mut queue: VecDeque<Option<usize>> = VecDeque::from([None]);
        while let Some(from) = queue.pop_front() {
            let from_version = from.map_or(running, |i| &hops[i].version);
            for (i, hop) in hops.iter().enumerate() {
                if parent[i].is_some() || hop.can_take(hardware, from_version).is_err() {
                    continue;
                }
                parent[i] = Some(from);
                if hop.id == target.id {
                    return Some(chain(&hops, &parent, i));
                }
                queue.push_back(Some(i));
            }
        }
        None
    }
}

fn chain<'a>(
    hops: &[&'a Release],
    parent: &[Option<Option<usize>>],
    last: usize,
) -> Vec<&'a Release> {
    let mut path = vec![hops[last]];
    let mut at = parent[last].flatten();
    while let Some(i) = at {
        path.push(hops[i]);
        at = parent[i].flatten();
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::VersionReq;
    use crate::testing::version as v;

    fn release(id: &str, version: &str, hardware: &[&str], requires: Option<&str>) -> Release {
        let mut r = Release::new(id, "acme", v(version), hardware.iter().copied(), "{}");
        r.requires = requires.map(|q| VersionReq::parse(q).unwrap());
        r
    }

    fn ids(path: Option<Vec<&Release>>) -> Option<Vec<&str>> {
        path.map(|p| p.into_iter().map(|r| r.id.as_str()).collect())
    }

    /// 1.0 → 1.5 (bridge) → 2.0 (needs ≥ 1.5) → 3.0 (needs ^2).
    fn catalog() -> Catalog {
        let mut c = Catalog::new();
        for r in [
            release("fw-1.5", "1.5.0", &["a", "b"], Some("<1.5.0")),
            release("fw-2.0", "2.0.0", &["a", "b"], Some(">=1.5.0, <2.0.0")),
            release("fw-3.0", "3.0.0", &["a", "b"], Some("^2")),
        ] {
            c.add(r).unwrap();
        }
        c
    }

    #[test]
    fn multi_hop_path_through_bridge_releases() {
        let c = catalog();
        assert_eq!(
            ids(c.update_path("fw-3.0", "a", &v("1.0.0"))),
            Some(vec!["fw-1.5", "fw-2.0", "fw-3.0"])
        );
        assert_eq!(
            ids(c.update_path("fw-3.0", "a", &v("1.7.0"))),
            Some(vec!["fw-2.0", "fw-3.0"])
        );
        assert_eq!(ids(c.update_path("fw-3.0", "a", &v("3.0.0"))), Some(vec![]));
    }

    #[test]
    fn unreachable_targets_give_none() {
        let c = catalog();
        assert_eq!(
            ids(c.update_path("fw-3.0", "a", &v("3.1.0"))),
            None,
            "downgrade"
        );
        assert_eq!(
            ids(c.update_path("fw-3.0", "z", &v("1.0.0"))),
            None,
            "hardware"
        );
        assert_eq!(ids(c.update_path("nope", "a", &v("1.0.0"))), None);
        let mut gap = Catalog::new();
        gap.add(release("fw-3.0", "3.0.0", &["a"], Some("^2")))
            .unwrap();
        assert_eq!(ids(gap.update_path("fw-3.0", "a", &v("1.0.0"))), None);
    }

    #[test]
    fn paths_depend_on_hardware() {
        let mut c = catalog();
        // Only rev-a has a direct jump from 1.x to 3.0.
        c.add(release("fw-3.0-a", "3.0.1", &["a"], Some(">=1.0.0")))
            .unwrap();
        c.add(release("fw-3.1", "3.1.0", &["a", "b"], Some(">=3.0.0")))
            .unwrap();
        assert_eq!(
            ids(c.update_path("fw-3.1", "a", &v("1.0.0"))),
            Some(vec!["fw-3.0-a", "fw-3.1"])
        );
        assert_eq!(
            ids(c.update_path("fw-3.1", "b", &v("1.0.0"))),
            Some(vec!["fw-1.5", "fw-2.0", "fw-3.0", "fw-3.1"])
        );
    }

    #[test]
    fn equal_length_ties_prefer_the_newest_first_hop() {
        let mut c = Catalog::new();
        for r in [
            release("fw-1.1", "1.1.0", &["a"], None),
            release("fw-1.2", "1.2.0", &["a"], None),
            release("fw-2.0", "2.0.0", &["a"], Some(">=1.1.0, <2.0.0")),
        ] {
            c.add(r).unwrap();
        }
        assert_eq!(
            ids(c.update_path("fw-2.0", "a", &v("1.0.0"))),
            Some(vec!["fw-1.2", "fw-2.0"])
        );
    }

    #[test]
    fn never_hops_down_or_sideways() {
        let mut c = Catalog::new();
        for r in [
            // A "bridge" that is older than the device: useless, must not be used.
            release("fw-0.9", "0.9.0", &["a"], None),
            release("fw-2.0", "2.0.0", &["a"], Some("=0.9.0")),
        ] {
            c.add(r).unwrap();
        }
        assert_eq!(ids(c.update_path("fw-2.0", "a", &v("1.0.0"))), None);
        let path = c.update_path("fw-2.0", "a", &v("0.8.0")).unwrap();
        assert!(path.windows(2).all(|w| w[0].version < w[1].version));
        assert_eq!(ids(Some(path)), Some(vec!["fw-0.9", "fw-2.0"]));
    }

    #[test]
    fn other_products_are_not_hops() {
        let mut c = Catalog::new();
        let mut other = release("other-1.5", "1.5.0", &["a"], None);
        other.product = "other".into();
        c.add(other).unwrap();
        c.add(release("fw-2.0", "2.0.0", &["a"], Some("^1.5")))
            .unwrap();
        assert_eq!(ids(c.update_path("fw-2.0", "a", &v("1.0.0"))), None);
    }
}
