//! What [`CrashFs`] keeps through a crash, and its power cut.

use super::*;
use crate::storage::StorageError;
use crate::storage::files::Fs;
use crate::storage::files::fs::storage_error;
use std::io;
use std::vec::Vec;

fn read(fs: &CrashFs, name: &str) -> io::Result<Vec<u8>> {
    let mut buf = [0; 64];
    let n = fs.read_at(name, 0, &mut buf)?;
    Ok(buf[..n].to_vec())
}

#[test]
fn reads_see_volatile_contents() {
    let fs = CrashFs::new();
    fs.create("a", b"hello").unwrap();
    fs.write_at("a", 3, b"p!!").unwrap();
    fs.write_at("a", 8, b"x").unwrap();
    assert_eq!(read(&fs, "a").unwrap(), b"help!!\0\0x");
    let mut buf = [0; 4];
    assert_eq!(fs.read_at("a", 7, &mut buf).unwrap(), 2);
    assert_eq!(fs.read_at("a", 100, &mut buf).unwrap(), 0);
    assert_eq!(fs.read_at("a", u64::MAX, &mut buf).unwrap(), 0);
    assert_eq!(read(&fs, "b").unwrap_err().kind(), io::ErrorKind::NotFound);
    for missing in [fs.write_at("b", 0, b"x"), fs.sync("b"), fs.rename("b", "c")] {
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
    }
    assert_eq!(fs.names(), ["a"]);
    assert_eq!(fs.ops(), 6, "failed calls count too");
}

#[test]
fn unsynced_writes_and_names_are_lost() {
    let fs = CrashFs::new();
    fs.create("a", b"v1").unwrap();
    assert_eq!(
        fs.crash().names(),
        Vec::<std::string::String>::new(),
        "name not synced"
    );
    let fs = CrashFs::new();
    fs.create("a", b"v1").unwrap();
    fs.sync("a").unwrap();
    assert_eq!(fs.crash().names().len(), 0, "data synced, name not");
    let fs = CrashFs::new();
    fs.create("a", b"v1").unwrap();
    fs.sync_dir().unwrap();
    assert_eq!(
        fs.durable_contents("a").unwrap(),
        b"",
        "name synced, data not"
    );
    fs.sync("a").unwrap();
    fs.write_at("a", 0, b"v2").unwrap();
    assert_eq!(fs.durable_contents("a").unwrap(), b"v1");
    assert_eq!(fs.contents("a").unwrap(), b"v2");
    let crashed = fs.crash();
    assert_eq!(crashed.contents("a").unwrap(), b"v1");
    assert!(fs.is_cut(), "the crashed handle has no power");
    assert_eq!(read(&crashed, "a").unwrap(), b"v1");
}

#[test]
fn renames_are_volatile_until_the_directory_is_synced() {
    let fs = CrashFs::new();
    fs.poke("x", b"old");
    fs.create("x.tmp", b"new").unwrap();
    fs.sync("x.tmp").unwrap();
    fs.rename("x.tmp", "x").unwrap();
    assert_eq!(fs.contents("x").unwrap(), b"new");
    assert_eq!(fs.contents("x.tmp"), None);
    let crashed = fs.crash();
    assert_eq!(crashed.contents("x").unwrap(), b"old");
    assert_eq!(crashed.contents("x.tmp"), None);
    let fs = CrashFs::new();
    fs.poke("x", b"old");
    fs.create("x.tmp", b"new").unwrap();
    fs.sync("x.tmp").unwrap();
    fs.rename("x.tmp", "x").unwrap();
    fs.sync_dir().unwrap();
    assert_eq!(fs.crash().contents("x").unwrap(), b"new");
}

#[test]
fn the_cut_fails_the_nth_operation_and_everything_after() {
    let fs = CrashFs::new();
    fs.create("a", b"1").unwrap();
    fs.cut_after(2);
    fs.write_at("a", 0, b"2").unwrap();
    fs.sync("a").unwrap();
    assert!(!fs.is_cut());
    let cut = fs.write_at("a", 0, b"3").unwrap_err();
    assert!(fs.is_cut());
    assert_eq!(storage_error(cut), StorageError::PowerLoss);
    assert_eq!(
        fs.contents("a").unwrap(),
        b"2",
        "the cut write has no effect"
    );
    let read_error = read(&fs, "a").unwrap_err();
    assert_eq!(storage_error(read_error), StorageError::PowerLoss);
    assert!(fs.sync_dir().is_err());
    assert_eq!(fs.ops(), 3);
    let crashed = fs.crash();
    assert!(!crashed.is_cut());
    assert_eq!(crashed.ops(), 0);
    assert_eq!(crashed.names().len(), 0, "never synced the directory");
}

#[test]
fn torn_crashes_keep_a_seeded_prefix_with_one_half_write() {
    let mut outcomes = Vec::new();
    for seed in 0..64 {
        let fs = CrashFs::new();
        fs.create("a", &[0; 8]).unwrap();
        fs.sync("a").unwrap();
        fs.sync_dir().unwrap();
        fs.write_at("a", 0, &[1; 8]).unwrap();
        fs.write_at("a", 0, &[2; 4]).unwrap();
        let torn = fs.crash_torn(seed).contents("a").unwrap();
        assert_eq!(torn.len(), 8);
        // Each byte is from a state the writes passed through, in order.
        assert!(torn.iter().all(|b| [0, 1, 2].contains(b)), "{torn:?}");
        assert_eq!(fs.crash_torn(seed).contents("a").unwrap(), torn, "seeded");
        if !outcomes.contains(&torn) {
            outcomes.push(torn);
        }
    }
    assert!(outcomes.contains(&[0; 8].to_vec()));
    assert!(outcomes.contains(&[2, 2, 2, 2, 1, 1, 1, 1].to_vec()));
    assert!(
        outcomes.iter().any(|o| o.contains(&1) && o.contains(&0)),
        "a half-applied write: {outcomes:?}"
    );
}

#[test]
fn torn_crashes_may_keep_unsynced_renames() {
    let kept = (0..32)
        .filter(|&seed| {
            let fs = CrashFs::new();
            fs.poke("x", b"old");
            fs.create("x.tmp", b"new").unwrap();
            fs.sync("x.tmp").unwrap();
            fs.rename("x.tmp", "x").unwrap();
            let x = fs.crash_torn(seed).contents("x").unwrap();
            assert!(x == b"old" || x == b"new");
            x == b"new"
        })
        .count();
    assert!(kept > 0 && kept < 32, "{kept}");
}

#[test]
fn poke_is_durable_and_costs_nothing() {
    let fs = CrashFs::new();
    fs.poke("a", b"1");
    fs.poke("a", b"22");
    assert_eq!(fs.ops(), 0);
    assert_eq!(fs.crash().contents("a").unwrap(), b"22");
}

#[test]
fn is_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<CrashFs>();
    check::<crate::storage::files::FileBoot<CrashFs>>();
    check::<crate::storage::files::FileSlot<CrashFs>>();
    check::<crate::storage::files::FileStateStore<CrashFs>>();
}
