//! Path building: a depth-first search from the leaf to a pinned root over name-matching
//! candidates, with a step budget so that pathological bundles cannot make it explode.

use alloc::vec::Vec;

use super::checks::{Cert, check_issuer};
use super::signature::verify_link;
use super::{CodeSigningPolicy, X509Error};

/// Most certificates between leaf and root, self-issued ones included (recursion bound).
const MAX_PATH_INTERMEDIATES: usize = 8;
/// Most candidate issuers examined (each costs at most one signature check).
const MAX_SEARCH_STEPS: usize = 128;

pub(super) struct Search<'c, 'a> {
    pub(super) intermediates: &'c [Cert<'a>],
    pub(super) roots: &'c [Cert<'a>],
    pub(super) now: i64,
    pub(super) policy: &'c CodeSigningPolicy,
    steps: usize,
    exhausted: bool,
    /// The failure that got deepest, with its depth.
    best: Option<(usize, X509Error)>,
}

impl<'c, 'a> Search<'c, 'a> {
    pub(super) fn new(
        intermediates: &'c [Cert<'a>],
        roots: &'c [Cert<'a>],
        now: i64,
        policy: &'c CodeSigningPolicy,
    ) -> Self {
        Self {
            intermediates,
            roots,
            now,
            policy,
            steps: 0,
            exhausted: false,
            best: None,
        }
    }

    /// Find a path from `leaf` to a pinned root.
    pub(super) fn run(mut self, leaf: &Cert<'a>) -> Result<(), X509Error> {
        if self.extend(leaf, &mut Vec::new(), 0) {
            Ok(())
        } else if self.exhausted {
            Err(X509Error::SearchLimitExceeded)
        } else {
            Err(self.best.map_or(X509Error::NoPathToPinnedRoot, |(_, e)| e))
        }
    }

    /// Try to reach a root from `child`; `path` holds the intermediates used so far and
    /// `below` the non-self-issued ones among them.
    fn extend(&mut self, child: &Cert<'a>, path: &mut Vec<usize>, below: usize) -> bool {
        let depth = path.len();
        let roots = self.roots;
        for root in roots.iter().filter(|r| child.is_issued_by(r)) {
            if !self.step() {
                return false;
            }
            match self.link(child, root, below) {
                Ok(()) => return true,
                Err(e) => self.record(depth, e),
            }
        }
        if depth >= MAX_PATH_INTERMEDIATES {
            self.record(depth, X509Error::ChainTooDeep);
            return false;
        }
        let intermediates = self.intermediates;
        for (index, issuer) in intermediates.iter().enumerate() {
            if !child.is_issued_by(issuer) || path.contains(&index) {
                continue;
            }
            if !self.step() {
                return false;
            }
            if let Err(e) = self.link(child, issuer, below) {
                self.record(depth, e);
                continue;
            }
            let next_below = below + usize::from(!issuer.is_self_issued());
            if next_below > self.policy.max_chain_depth {
                self.record(depth + 1, X509Error::ChainTooDeep);
                continue;
            }
            path.push(index);
            if self.extend(issuer, path, next_below) {
                return true;
            }
            path.pop();
            if self.exhausted {
                return false;
            }
        }
        false
    }

    fn link(&self, child: &Cert<'a>, issuer: &Cert<'a>, below: usize) -> Result<(), X509Error> {
        check_issuer(issuer, self.now, below)?;
        verify_link(child, issuer, self.policy)
    }

    fn step(&mut self) -> bool {
        self.steps += 1;
        if self.steps > MAX_SEARCH_STEPS {
            self.exhausted = true;
        }
        !self.exhausted
    }

    fn record(&mut self, depth: usize, error: X509Error) {
        if self.best.is_none_or(|(d, _)| depth > d) {
            self.best = Some((depth, error));
        }
    }
}
