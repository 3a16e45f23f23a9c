//! `ioamctl`: `ip ioam` for the `IOAM6_RS` generic netlink family of `ioam_rs.ko`.
//!
//! Commands, arguments, number syntax and output (text and `-j`/`-p` JSON) are those of
//! iproute2's `ip ioam` (`ip/ipioam6.c`), so a script can swap one for the other; `-j
//! monitor` adds a JSON form with the node data decoded. The module's own objects
//! (`stats`, `interface`, `events`, `loopback`, `export`) follow the same style. Every
//! protocol number comes from the `ioam-uapi` crate.
//!
//! Messages go to standard error as one line starting with `ioamctl: `:
//! - a bad argument names it and the expected form; nothing is sent;
//! - a refused request prints the kernel's extended ack message, if any, then
//!   `strerror`: `ioamctl: namespace 123 already exists: File exists`.
//!
//! Exit status: [`EXIT_OK`], [`EXIT_USAGE`] (bad arguments, or the module is not
//! loaded), [`EXIT_KERNEL`] (the kernel refused the request, netlink failed, or the
//! output could not be written).

pub mod args;
pub mod batch;
pub mod device;
pub mod format;
pub mod ip_json;
pub mod monitor;
pub mod netlink;
pub mod number;
pub mod route;
pub mod route_args;
pub mod trace;

use std::ffi::{CStr, OsString};
use std::io::{self, Write};

use args::{Command, Invocation, ParseFailure};
use netlink::{Client, Reply};
use route::RouteClient;

/// Success, including `--help` and `--version`.
pub const EXIT_OK: u8 = 0;
/// Bad arguments (nothing was sent), or the family is not registered.
pub const EXIT_USAGE: u8 = 1;
/// The kernel refused the request, netlink failed, or output could not be written.
pub const EXIT_KERNEL: u8 = 2;

/// Runs one command line (program name first) against the generic netlink family
/// `family_name`, printing results and errors; returns the exit status.
pub fn run<I, T>(args: I, family_name: &CStr) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let Invocation { format, command } = match args::parse(args) {
        Ok(invocation) => invocation,
        Err(ParseFailure::Info(text)) => return print_stdout(&text),
        Err(ParseFailure::Usage(text)) => {
            eprint!("{text}");
            return EXIT_USAGE;
        }
        Err(ParseFailure::Invalid(message)) => {
            eprintln!("ioamctl: {message}");
            return EXIT_USAGE;
        }
    };

    match command {
        Command::Monitor { export } => return monitor::run(family_name, format, export),
        Command::AddRoute { .. } | Command::DelRoute { .. } | Command::ShowRoutes { .. } => {
            return route_command(&command, format)
        }
        _ => {}
    }
    let reply = Client::connect(family_name).and_then(|mut client| client.execute(&command));
    match reply {
        Ok(Reply::Done) => EXIT_OK,
        Ok(Reply::Namespaces(list)) => print_stdout(&format::namespaces(&list, format)),
        Ok(Reply::Schemas(list)) => print_stdout(&format::schemas(&list, format)),
        Ok(Reply::Stats(info)) => print_stdout(&format::stats(&info, format)),
        Ok(Reply::Interfaces(list)) => {
            print_stdout(&format::interfaces(&list, format, &device::name_of))
        }
        Err(error) => {
            eprintln!("ioamctl: {error}");
            error.exit_code()
        }
    }
}

/// Carries out a route command over rtnetlink (the module need not be loaded: the kernel
/// loads it for the first `encap ioam6` route).
fn route_command(command: &Command, format: format::OutputFormat) -> u8 {
    let result = RouteClient::connect().and_then(|mut client| match command {
        Command::AddRoute { route: r, replace } => client.add(r, *replace).map(|()| None),
        Command::DelRoute { prefix } => client.del(*prefix).map(|()| None),
        Command::ShowRoutes { prefix } => client.dump().map(|messages| {
            let mut routes = Vec::new();
            for found in messages.iter().filter_map(route::route_of) {
                match found {
                    Ok(r) if prefix.is_none_or(|p| p == r.prefix) => routes.push(r),
                    Ok(_) => {}
                    Err(message) => eprintln!("ioamctl: an encap ioam6 route not shown: {message}"),
                }
            }
            Some(route::describe(&routes, &device::name_of))
        }),
        _ => Ok(None),
    });
    match result {
        Ok(None) => EXIT_OK,
        Ok(Some(list)) => print_stdout(&format::routes(&list, format)),
        Err(error) => {
            eprintln!("ioamctl: {error}");
            error.exit_code()
        }
    }
}

/// Writes `text` to standard output. A reader that went away (`ioamctl ... | head`) is
/// not an error worth reporting.
fn print_stdout(text: &str) -> u8 {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => EXIT_OK,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(error) => {
            eprintln!("ioamctl: cannot write the output: {error}");
            EXIT_KERNEL
        }
    }
}
