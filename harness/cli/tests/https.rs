//! An https endpoint works: `bulwark deploy` through TLS (a local proxy with
//! a self-signed certificate in front of anvil) succeeds when the certificate
//! is trusted (`SSL_CERT_FILE`) and is refused, naming the certificate, when
//! it is not.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use bulwark_chain::node::{DEV_KEYS, L1Kind, L1Node};

struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn deploys_through_an_https_endpoint() {
    let node = L1Node::start(L1Kind::Anvil).await.unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rpc_proxy.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(node.endpoint())
        .arg("--tls")
        .args([&cert_path, &key_path])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let _proxy = Proxy(child);
    let url = format!("https://localhost:{}", port.trim());

    let deploy = |trust: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_bulwark"))
            .args(["deploy", "--rpc-url", &url, "--out"])
            .arg(dir.join("deployments"))
            .env("BULWARK_PRIVATE_KEY", DEV_KEYS[0])
            .env("SSL_CERT_FILE", trust)
            .env_remove("SSL_CERT_DIR")
            .output()
            .unwrap()
    };
    // Trusting only another certificate: refused at the handshake, nothing written.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let other_path = dir.join("other.pem");
    std::fs::write(&other_path, other.cert.pem()).unwrap();
    let refused = deploy(&other_path);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        err.contains("cannot reach L1 at https://localhost"),
        "{err}"
    );
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!dir.join("deployments/31337.json").exists());

    let out = deploy(&cert_path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("deployments/31337.json").exists());
}
