//! Refusing to write an output over one of the command's inputs (`release --out fw.bin
//! fw.bin`, `sign fw.bin >> fw.bin`), before anything is written.

use std::fs::{self, Metadata};
use std::path::Path;

use crate::CliError;

/// Which file a path names: device and inode on Unix, the canonical path elsewhere.
#[derive(Debug, PartialEq, Eq)]
struct FileId(
    #[cfg(unix)] (u64, u64),
    #[cfg(not(unix))] std::path::PathBuf,
);

impl FileId {
    /// The file `path` names (following symbolic links), or `None` when there is none.
    fn of(path: &Path) -> Option<Self> {
        let meta = fs::metadata(path).ok()?;
        #[cfg(unix)]
        {
            Some(Self::from_metadata(&meta))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            fs::canonicalize(path).ok().map(Self)
        }
    }

    #[cfg(unix)]
    fn from_metadata(meta: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self((meta.dev(), meta.ino()))
    }

    /// The regular file standard output is redirected to, if it is one (Unix only).
    fn stdout() -> Option<Self> {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd as _;
            let fd = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
            let meta: Metadata = fs::File::from(fd).metadata().ok()?;
            meta.is_file().then(|| Self::from_metadata(&meta))
        }
        #[cfg(not(unix))]
        {
            None
        }
    }
}

/// The first of `inputs` that is the file `id`.
fn input_matching<'a>(id: &FileId, inputs: &[&'a Path]) -> Option<&'a Path> {
    inputs
        .iter()
        .copied()
        .find(|input| FileId::of(input).as_ref() == Some(id))
}

/// A usage error when `output` (given with `flag`) is the same file as one of `inputs`
/// (the same path, a link to it, or the same inode). An output that does not exist yet
/// cannot be an input.
pub(crate) fn refuse_output_over_inputs(
    flag: &str,
    output: &Path,
    inputs: &[&Path],
) -> Result<(), CliError> {
    let Some(id) = FileId::of(output) else {
        return Ok(());
    };
    match input_matching(&id, inputs) {
        Some(input) => Err(CliError::usage(format!(
            "{flag} {} is the input {}: choose another output file (nothing was written)",
            output.display(),
            input.display()
        ))),
        None => Ok(()),
    }
}

/// A usage error when standard output is redirected into one of `inputs` (`sign fw.bin >>
/// fw.bin`): what the command prints would land in its own input. Only regular files are
/// compared, and only on Unix.
pub(crate) fn refuse_stdout_over_inputs(inputs: &[&Path]) -> Result<(), CliError> {
    let Some(id) = FileId::stdout() else {
        return Ok(());
    };
    match input_matching(&id, inputs) {
        Some(input) => Err(CliError::usage(format!(
            "standard output is redirected into the input {}: redirect it to another file (nothing was written)",
            input.display()
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::Dir;
    use super::*;

    #[test]
    fn an_output_that_is_an_input_is_refused() {
        let dir = Dir::new("same");
        let (image, key, out) = (dir.join("fw.bin"), dir.join("k.pem"), dir.join("doc.json"));
        fs::write(&image, b"image").unwrap();
        fs::write(&key, b"key").unwrap();
        let inputs = [key.as_path(), image.as_path()];
        // A new output, or an existing different file: fine.
        refuse_output_over_inputs("--out", &out, &inputs).unwrap();
        fs::write(&out, b"old doc").unwrap();
        refuse_output_over_inputs("--out", &out, &inputs).unwrap();
        // The same path, spelled differently.
        let err =
            refuse_output_over_inputs("--out", &dir.join(".").join("fw.bin"), &inputs).unwrap_err();
        assert!(matches!(err, CliError::Usage(_)), "{err:?}");
        assert!(err.to_string().contains("is the input"), "{err}");
        // A hard link to an input.
        let link = dir.join("link.bin");
        fs::hard_link(&image, &link).unwrap();
        assert!(refuse_output_over_inputs("--out", &link, &inputs).is_err());
        #[cfg(unix)]
        {
            let sym = dir.join("sym.pem");
            std::os::unix::fs::symlink(&key, &sym).unwrap();
            assert!(refuse_output_over_inputs("--out", &sym, &inputs).is_err());
        }
    }

    #[test]
    fn stdout_of_a_test_is_no_input() {
        let dir = Dir::new("stdout");
        let image = dir.join("fw.bin");
        fs::write(&image, b"image").unwrap();
        refuse_stdout_over_inputs(&[image.as_path()]).unwrap();
    }
}
