//! `paperclipai`: the Paperclip server and its command line.

fn main() {
    if let Err(error) = paperclip::cli::main() {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
