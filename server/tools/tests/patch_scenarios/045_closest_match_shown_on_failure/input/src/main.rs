use app::*;

fn main() {
    let config = load_config();
    run(config);
    cleanup();
}
