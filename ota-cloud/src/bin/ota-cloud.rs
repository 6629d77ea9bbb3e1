//! The `ota-cloud` command-line tool: see `ota-cloud --help` and [`ota_cloud::cli`].

fn main() -> std::process::ExitCode {
    ota_cloud::cli::main()
}
