//! The testkit against the real registry, checked by skopeo: whatever the helpers push, an
//! independent client reads back byte for byte, with the digests the helpers reported.

mod cli_demo;
mod github;
mod workflow;

use gantry_testkit::image::SIGSTORE_BUNDLE;
use gantry_testkit::{CosignKind, Format, Registry, RegistryOptions};
use serde_json::Value;

const FORMATS: [Format; 2] = [Format::Oci, Format::Docker];

/// skopeo serves the exact bytes pushed, and computes the digest the helper reported.
fn assert_skopeo_reads(registry: &Registry, reference: &str, manifest: &[u8], digest: &str) {
    assert_eq!(
        registry.inspect_raw(reference),
        manifest,
        "skopeo inspect --raw {reference}"
    );
    assert_eq!(
        registry.digest_of(reference),
        digest,
        "digest of {reference}"
    );
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn registry_answers_and_is_gone_after_drop() {
    let registry = Registry::start();
    let host = registry.host();
    assert!(host.starts_with("127.0.0.1:"), "{host}");
    assert_eq!(registry.url(), format!("http://{host}"));
    assert!(registry.list_tags("nothing/here").is_empty());
    drop(registry);
    assert!(
        std::net::TcpStream::connect(&host).is_err(),
        "the registry still listens on {host} after drop"
    );
}

#[test]
fn single_platform_images_read_back_in_both_formats() {
    let registry = Registry::start();
    for format in FORMATS {
        let tag = format!("{format:?}").to_lowercase();
        let image = registry
            .image("acme/api")
            .format(format)
            .platform("linux/arm64/v8")
            .layers(3)
            .tag(&tag)
            .push();
        assert_eq!(image.layers.len(), 3);
        let manifest = json(&image.manifest);
        assert_eq!(manifest["mediaType"], format.manifest_media_type());

        assert_skopeo_reads(
            &registry,
            &format!("acme/api:{tag}"),
            &image.manifest,
            &image.digest,
        );
        assert_skopeo_reads(
            &registry,
            &image.reference(),
            &image.manifest,
            &image.digest,
        );
        let inspected = registry.inspect(&format!("acme/api:{tag}"));
        assert_eq!(inspected["Architecture"], "arm64");
        assert_eq!(inspected["Os"], "linux");
        assert_eq!(inspected["Digest"], image.digest.as_str());
        assert_eq!(inspected["Layers"].as_array().unwrap().len(), 3);
        registry.assert_resolves_fully(&image.reference());
        for blob in image.blob_digests() {
            assert!(registry.blob_exists("acme/api", &blob));
        }
    }
    assert_eq!(registry.list_tags("acme/api"), ["docker", "oci"]);
}

#[test]
fn indexes_with_attestations_read_back_in_both_formats() {
    let registry = Registry::start();
    for format in FORMATS {
        let tag = format!("{format:?}").to_lowercase();
        let index = registry
            .index("acme/web")
            .format(format)
            .platforms(&["linux/amd64", "linux/arm64"])
            .attestations()
            .tag(&tag)
            .push();
        assert_skopeo_reads(
            &registry,
            &format!("acme/web:{tag}"),
            &index.manifest,
            &index.digest,
        );
        assert_eq!(
            json(&index.manifest)["mediaType"],
            format.index_media_type()
        );

        let children = index.child_digests();
        assert_eq!(children.len(), 4, "two images and two attestations");
        for (image, attestation) in index.images.iter().zip(&index.attestations) {
            assert_eq!(attestation.subject, image.digest);
            assert!(children.contains(&image.digest) && children.contains(&attestation.digest));
            assert_skopeo_reads(
                &registry,
                &image.reference(),
                &image.manifest,
                &image.digest,
            );
            let attestation_ref = format!("acme/web@{}", attestation.digest);
            assert_skopeo_reads(
                &registry,
                &attestation_ref,
                &attestation.manifest,
                &attestation.digest,
            );
        }
        let listed = json(&index.manifest);
        let attestation_entry = &listed["manifests"][2];
        assert_eq!(attestation_entry["platform"]["os"], "unknown");
        assert_eq!(
            attestation_entry["annotations"]["vnd.docker.reference.type"],
            "attestation-manifest"
        );
        assert_eq!(
            attestation_entry["annotations"]["vnd.docker.reference.digest"],
            index.images[0].digest.as_str()
        );
        assert_eq!(
            json(&index.attestations[0].manifest)["layers"][0]["mediaType"],
            "application/vnd.in-toto+json"
        );

        // Plain inspect picks the linux/amd64 image out of the index.
        let inspected = registry.inspect(&format!("acme/web:{tag}"));
        assert_eq!(inspected["Architecture"], "amd64");
        assert_eq!(inspected["Digest"], index.digest.as_str());
        registry.assert_resolves_fully(&format!("acme/web:{tag}"));
    }
}

#[test]
fn nested_indexes_read_back() {
    let registry = Registry::start();
    let inner_a = registry.index("acme/nested").attestations().push();
    let inner_b = registry
        .index("acme/nested")
        .platforms(&["linux/s390x"])
        .push();
    let outer = registry
        .index("acme/nested")
        .index(&inner_a)
        .index(&inner_b)
        .tag("outer")
        .push();
    assert_eq!(
        outer.child_digests(),
        [inner_a.digest.clone(), inner_b.digest.clone()]
    );
    assert!(outer.images.is_empty());
    assert_skopeo_reads(
        &registry,
        "acme/nested:outer",
        &outer.manifest,
        &outer.digest,
    );
    assert_skopeo_reads(
        &registry,
        &inner_a.reference(),
        &inner_a.manifest,
        &inner_a.digest,
    );
    registry.assert_resolves_fully("acme/nested:outer");
    assert_eq!(registry.list_tags("acme/nested"), ["outer"]);
}

#[test]
fn referrers_are_untagged_and_point_at_their_subject() {
    let registry = Registry::start();
    for format in FORMATS {
        let image = registry
            .image("acme/signed")
            .format(format)
            .tag("v1")
            .push();
        let referrer = registry.push_referrer("acme/signed", &image.descriptor(), SIGSTORE_BUNDLE);
        assert_skopeo_reads(
            &registry,
            &referrer.reference(),
            &referrer.manifest,
            &referrer.digest,
        );
        let manifest = json(&registry.inspect_raw(&referrer.reference()));
        assert_eq!(manifest["subject"]["digest"], image.digest.as_str());
        assert_eq!(
            manifest["subject"]["mediaType"],
            format.manifest_media_type()
        );
        assert_eq!(manifest["artifactType"], SIGSTORE_BUNDLE);
        registry.assert_resolves_fully(&referrer.reference());
        assert!(registry.manifest_exists("acme/signed", &referrer.digest));
    }
    assert_eq!(
        registry.list_tags("acme/signed"),
        ["v1"],
        "referrers stay untagged"
    );
}

#[test]
fn cosign_tags_name_their_subject() {
    let registry = Registry::start();
    let image = registry.image("acme/cosign").tag("v1").push();
    let hex = image.digest.strip_prefix("sha256:").unwrap();
    let mut expected = vec!["v1".to_owned()];
    for kind in [
        CosignKind::Signature,
        CosignKind::Attestation,
        CosignKind::Sbom,
    ] {
        let tag = registry.push_cosign("acme/cosign", &image.digest, kind);
        assert_eq!(tag.tag, format!("sha256-{hex}.{}", kind.suffix()));
        assert_eq!(tag.subject, image.digest);
        assert_skopeo_reads(&registry, &tag.reference(), &tag.manifest, &tag.digest);
        assert_eq!(
            registry.inspect(&tag.reference())["Digest"],
            tag.digest.as_str()
        );
        registry.assert_resolves_fully(&tag.reference());
        expected.push(tag.tag);
    }
    expected.sort();
    assert_eq!(registry.list_tags("acme/cosign"), expected);
}

#[test]
fn one_child_can_be_shared_by_two_indexes() {
    let registry = Registry::start();
    for format in FORMATS {
        let tags = match format {
            Format::Oci => ["oci-rc", "oci-release"],
            Format::Docker => ["docker-rc", "docker-release"],
        };
        let scenario = registry.push_shared_child("acme/shared", format, tags);
        let shared = &scenario.shared.digest;
        assert!(scenario.first.child_digests().contains(shared));
        assert!(scenario.second.child_digests().contains(shared));
        assert_ne!(scenario.first.digest, scenario.second.digest);
        assert_ne!(
            scenario.first.images[0].digest,
            scenario.second.images[0].digest
        );
        for index in [&scenario.first, &scenario.second] {
            assert_skopeo_reads(
                &registry,
                &index.reference(),
                &index.manifest,
                &index.digest,
            );
            registry.assert_resolves_fully(&index.reference());
        }
    }
}

#[test]
fn every_push_has_fresh_content() {
    let registry = Registry::start();
    let first = registry.image("acme/fresh").push();
    let second = registry.image("acme/fresh").push();
    assert_ne!(first.digest, second.digest);
    assert_ne!(first.config.digest, second.config.digest);
    assert_ne!(first.layers[0].digest, second.layers[0].digest);
}

#[tokio::test]
async fn basic_auth_registry_refuses_strangers_and_serves_the_helpers() {
    let registry = Registry::start_with(RegistryOptions {
        basic_auth: true,
        ..RegistryOptions::default()
    });
    let image = registry.image("acme/private").tag("v1").push();
    assert_skopeo_reads(&registry, "acme/private:v1", &image.manifest, &image.digest);
    assert_eq!(registry.list_tags("acme/private"), ["v1"]);

    gantry_http::install_crypto_provider();
    let anonymous = reqwest::get(format!("{}/v2/acme/private/tags/list", registry.url()))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[test]
fn a_missing_manifest_fails_with_the_registry_log() {
    let registry = Registry::start();
    let missing =
        "acme/none@sha256:0000000000000000000000000000000000000000000000000000000000000000";
    assert!(registry.resolves_fully(missing).is_err());
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        registry.assert_resolves_fully(missing)
    }))
    .expect_err("a missing manifest cannot resolve");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("does not resolve fully"), "{message}");
    assert!(message.contains("docker-registry log"), "{message}");
}

#[tokio::test]
async fn helpers_work_inside_a_tokio_runtime() {
    let registry = Registry::start();
    let index = registry.index("acme/async").tag("v1").push();
    assert!(registry.manifest_exists("acme/async", &index.digest));
    assert_eq!(registry.digest_of("acme/async:v1"), index.digest);
}

#[test]
fn a_step_runs_with_only_the_runner_variables_and_reads_outputs_back() {
    let step = gantry_testkit::Step::new();
    let script = "echo \"actions=$GITHUB_ACTIONS home=${HOME:-unset}\"; \
                  printf 'one=1\\nmany<<EOF\\na\\nb\\nEOF\\n' >> \"$GITHUB_OUTPUT\"; \
                  echo '## done' >> \"$GITHUB_STEP_SUMMARY\"; echo oops >&2; exit 3";
    let run = step.run("/bin/sh", &["-c", script], &[("EXTRA", "x")]);
    assert_eq!(
        run,
        gantry_testkit::Run {
            code: 3,
            stdout: "actions=true home=unset\n".to_owned(),
            stderr: "oops\n".to_owned(),
        }
    );
    assert_eq!(
        step.outputs(),
        [
            ("one".to_owned(), "1".to_owned()),
            ("many".to_owned(), "a\nb".to_owned())
        ]
    );
    assert_eq!(step.summary(), "## done\n");
    let outside = gantry_testkit::process::run_in("/bin/sh", step.dir(), &["-c", "pwd"], &[]);
    assert_eq!(
        outside.stdout.trim(),
        step.dir().canonicalize().unwrap().to_str().unwrap()
    );
}
