//! `ioamctl`: see the library crate for what it does.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(ioamctl::run(std::env::args_os(), ioam_uapi::FAMILY_NAME))
}
