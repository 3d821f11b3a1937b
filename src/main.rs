fn main() {
    std::process::exit(kuroko::run());
}
