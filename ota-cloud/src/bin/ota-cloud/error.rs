//! [`CliError`]: one line for the user and the exit code that goes with it.

use std::process::ExitCode;

/// Why a command stopped. The message is one line; the variant decides the exit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CliError {
    /// The command line is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The command ran and failed, or its answer is "no" (exit 1).
    #[error("{0}")]
    Failure(String),
}

impl CliError {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    pub(crate) fn failure(message: impl Into<String>) -> Self {
        Self::Failure(message.into())
    }

    /// 2 for usage errors, 1 for failures.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            Self::Failure(_) => ExitCode::from(1),
        }
    }

    /// The message on a single line: any line breaks a cause carried are replaced by spaces.
    pub(crate) fn one_line(&self) -> String {
        let text = self.to_string();
        text.split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_single_line() {
        assert_eq!(CliError::usage("x").exit_code(), ExitCode::from(2));
        assert_eq!(CliError::failure("x").exit_code(), ExitCode::from(1));
        assert_eq!(CliError::failure("a\n  b\r\n\nc").one_line(), "a b c");
    }
}
