//! "Only the server knows the JSON shapes" (docs/ARCHITECTURE.md), as far
//! as it can be read off the manifests: the API's description (utoipa)
//! is a dependency of this crate alone, so no other crate can describe a
//! shape of the API.

use std::path::Path;

#[test]
fn only_the_server_describes_the_apis_shapes() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut describing = Vec::new();
    let mut read = 0;
    for entry in std::fs::read_dir(crates).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        read += 1;
        if text.lines().any(|l| l.trim_start().starts_with("utoipa")) {
            describing.push(manifest.parent().unwrap().file_name().unwrap().to_owned());
        }
    }
    assert!(read > 5, "the workspace's crates are read");
    assert_eq!(describing, ["psirt-server"]);
}
