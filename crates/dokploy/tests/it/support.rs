//! A shop on a fake Dokploy, a manifest that deploys it, and the binary run as the runner
//! runs it (under `GITHUB_ACTIONS=true`, with output and summary files).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use gantry_testkit::dokploy::{DokployOptions, FakeDokploy, Recorded};
use serde_json::Value;

/// The compose env before any deploy: comments, CRLF, quotes and a secret around the tags.
pub const STACK_ENV: &str =
    "# images of the stack\r\nAPI_TAG=v1\r\nWORKER_TAG=\"v1\"\r\nDB_PASSWORD=\"s3cret-db-pw\"\r\n";

/// The commit the runs deploy (`GITHUB_SHA`).
pub const COMMIT: &str = "8d3c3a7f2b1e4c5d6e7f8091a2b3c4d5e6f70819";

/// Two stages: `backend` (a compose shared by api and worker, and the auth application),
/// `frontend` (the web and admin applications).
pub struct Shop {
    pub fake: FakeDokploy,
    pub dir: tempfile::TempDir,
    /// The `production` environment of project `shop`.
    pub production: String,
    pub stack: String,
    pub auth: String,
    pub web: String,
    pub admin: String,
}

impl Shop {
    pub fn new() -> Shop {
        Self::with(DokployOptions::default())
    }

    pub fn version(version: &str) -> Shop {
        Self::with(DokployOptions {
            version: version.into(),
            ..DokployOptions::default()
        })
    }

    pub fn with(options: DokployOptions) -> Shop {
        let fake = FakeDokploy::start_with(options);
        let project = fake.add_project("shop");
        let production = fake.environment(&project, "production");
        let stack = fake.add_compose(&production, "stack", STACK_ENV);
        let auth = fake.add_application(&production, "auth", "ghcr.io/acme/auth:v1");
        let web = fake.add_application(&production, "web", "ghcr.io/acme/web:v1");
        let admin = fake.add_application(&production, "admin", "ghcr.io/acme/admin:v1");
        let shop = Shop {
            dir: tempfile::tempdir().unwrap(),
            fake,
            production,
            stack,
            auth,
            web,
            admin,
        };
        let manifest = shop.manifest(&shop.web);
        shop.write_manifest(&manifest);
        // The services' Dockerfile: a missing one is a manifest warning, which the run reports.
        std::fs::write(shop.dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        shop
    }

    /// The manifest, with `web` deployed to `web` (an id or a name path).
    pub fn manifest(&self, web: &str) -> String {
        format!(
            "version: 1\n\
             registry: ghcr.io/acme\n\
             services:\n  \
               api:\n    context: .\n    deploy: {{stage: backend, dokploy: {{compose: {stack}, tag-var: API_TAG}}}}\n  \
               worker:\n    context: .\n    deploy: {{stage: backend, dokploy: {{compose: {stack}, tag-var: WORKER_TAG}}}}\n  \
               auth:\n    context: .\n    deploy: {{stage: backend, dokploy: {{application: {auth}}}}}\n  \
               web:\n    context: .\n    deploy: {{stage: frontend, dokploy: {{application: \"{web}\"}}}}\n  \
               admin:\n    context: .\n    deploy: {{stage: frontend, dokploy: {{application: {admin}}}}}\n\
             deploy:\n  stages: [backend, frontend]\n",
            stack = self.stack,
            auth = self.auth,
            admin = self.admin,
        )
    }

    pub fn write_manifest(&self, text: &str) {
        std::fs::write(self.dir.path().join("gantry.yml"), text).unwrap();
    }

    /// The binary with `args`, the fake's URL and key, fast polls and JSON output.
    pub fn command(&self, args: &[&str]) -> Command {
        // The runner creates both files for every step.
        for name in ["output", "summary"] {
            std::fs::write(self.path(name), "").unwrap();
        }
        let mut command = Command::new(env!("CARGO_BIN_EXE_gantry-dokploy"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", self.path("output"))
            .env("GITHUB_STEP_SUMMARY", self.path("summary"))
            .env("GITHUB_RUN_ID", "4242")
            .env("GITHUB_RUN_ATTEMPT", "2")
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_SHA", COMMIT)
            .env("DOKPLOY_API_KEY", self.fake.api_key())
            .current_dir(self.dir.path())
            .args(["--dokploy-url", self.fake.url(), "--poll-interval", "10ms"])
            // As the action passes inputs; a `--format` flag wins over it.
            .env("INPUT_FORMAT", "json")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.finish(self.command(args).output().unwrap())
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).spawn().unwrap()
    }

    pub fn wait(&self, child: Child) -> Run {
        self.finish(child.wait_with_output().unwrap())
    }

    fn finish(&self, output: Output) -> Run {
        let read = |name| std::fs::read_to_string(self.path(name)).unwrap_or_default();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            output_file: read("output"),
            summary: read("summary"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The requests to `procedure` about `service`.
    pub fn requests_to_for(&self, procedure: &str, service: &str) -> Vec<Recorded> {
        self.fake
            .requests_to(procedure)
            .into_iter()
            .filter(|request| mentions(request, service))
            .collect()
    }

    /// The requests about one service: its procedures called with its id.
    pub fn requests_for(&self, service: &str) -> Vec<Recorded> {
        self.fake
            .requests()
            .into_iter()
            .filter(|request| mentions(request, service))
            .collect()
    }
}

/// Whether the request names `service` in its query or body.
pub fn mentions(request: &Recorded, service: &str) -> bool {
    request.query.iter().any(|(_, value)| value == service)
        || request.body.as_ref().is_some_and(|body| {
            body.as_object()
                .is_some_and(|body| body.values().any(|value| value == service))
        })
}

/// A finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub output_file: String,
    pub summary: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{self:#?}"))
    }

    /// The deployment entry of `target`.
    pub fn target(&self, target: &str) -> Value {
        self.json()["deployments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["target"] == target)
            .cloned()
            .unwrap_or_else(|| panic!("no deployment for {target}:\n{}", self.stdout))
    }

    /// Step outputs, read by the runner's rules (`name=value`, or `name<<delimiter` ... `delimiter`).
    pub fn outputs(&self) -> HashMap<String, String> {
        let mut outputs = HashMap::new();
        let mut lines = self.output_file.lines();
        while let Some(line) = lines.next() {
            if let Some((name, delimiter)) = line.split_once("<<") {
                let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
                outputs.insert(name.to_owned(), value.join("\n"));
            } else if let Some((name, value)) = line.split_once('=') {
                outputs.insert(name.to_owned(), value.to_owned());
            }
        }
        outputs
    }

    pub fn assert_code(&self, code: i32) {
        assert_eq!(self.code, code, "exit status; the run:\n{self:#?}");
    }

    /// Asserts the log (stderr) says each of `texts`.
    pub fn assert_said(&self, texts: &[&str]) {
        for text in texts {
            assert!(
                self.stderr.contains(text),
                "the log does not say {text:?}:\n{}",
                self.stderr
            );
        }
    }
}

/// Asserts `a` happened before `b` (fake time).
pub fn before(a: std::time::Duration, b: std::time::Duration, what: &str) {
    assert!(a <= b, "{what}: {a:?} is not before {b:?}");
}
