//! The bindings are generated from forge's artifacts: rebuild when they change,
//! and say how to make them when they are missing.

const ARTIFACTS: [&str; 3] = [
    "Rollup.sol/Rollup.json",
    "Bridge.sol/Bridge.json",
    "DemoToken.sol/DemoToken.json",
];

fn main() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../out");
    for artifact in ARTIFACTS {
        let path = out.join(artifact);
        println!("cargo::rerun-if-changed={}", path.display());
        if !path.exists() {
            println!(
                "cargo::error=missing forge artifact {}: run `npx forge build` in the project root first",
                path.display()
            );
        }
    }
}
