fn main() -> std::process::ExitCode {
    guildhall::cli::run()
}
