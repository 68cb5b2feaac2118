//! The fake GitHub Packages API and ghcr.io front over a real registry, spoken to with plain
//! HTTP as the reference describes it.

use std::time::{Duration, SystemTime};

use gantry_testkit::github::{
    FakeOptions, GithubFake, LinkFault, OwnerKind, PackageRole, PrimaryLimit, RequestKind,
    SecondaryLimit, TokenKind, Visibility,
};
use gantry_testkit::{Registry, StoredManifest};
use reqwest::StatusCode;
use serde_json::Value;

const TOKEN: &str = "ghp_classic_test_token";

fn fake(registry: &Registry, options: FakeOptions) -> GithubFake {
    let fake = GithubFake::start_with(registry, options);
    fake.add_owner("acme", OwnerKind::Organization);
    fake.add_owner("octo", OwnerKind::User);
    fake.add_token(TOKEN, "octo", TokenKind::Classic);
    fake
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn call(method: reqwest::Method, url: &str, token: &str) -> Answer {
    let response = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token)
        .header("accept", "application/vnd.github+json")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(url: &str) -> Answer {
    call(reqwest::Method::GET, url, TOKEN).await
}

/// The API URL of version `id` of `acme/api`.
fn api_version(fake: &GithubFake, id: u64) -> String {
    format!(
        "{}/orgs/acme/packages/container/api/versions/{id}",
        fake.api_url()
    )
}

/// The version id of `digest` in `repository`.
fn id_of(fake: &GithubFake, repository: &str, digest: &str) -> u64 {
    fake.versions(repository)
        .iter()
        .find(|v| v.digest == digest)
        .unwrap()
        .id
}

/// GitHub's `message`, empty without one.
fn message(answer: &Answer) -> &str {
    answer.body["message"].as_str().unwrap_or_default()
}

fn link(answer: &Answer) -> String {
    answer
        .headers
        .get("link")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_manifest_is_a_version_with_its_tags_and_a_64_bit_id() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    let index = registry.index("acme/api").attestations().tag("v1").push();
    let loose = registry.image("acme/api").push();
    let base = fake.api_url();

    let owner = get(&format!("{base}/users/acme")).await;
    assert_eq!(owner.body["type"], "Organization");
    assert_eq!(
        get(&format!("{base}/users/octo")).await.body["type"],
        "User"
    );
    assert_eq!(get(&format!("{base}/users/nobody")).await.status, 404);

    let listing = get(&format!(
        "{base}/orgs/acme/packages/container/api/versions?per_page=100&state=active"
    ))
    .await;
    assert_eq!(listing.status, 200);
    assert!(listing.headers.contains_key("x-ratelimit-remaining"));
    let versions = listing.body.as_array().unwrap();
    assert_eq!(
        versions.len(),
        1 + 2 + 2 + 1,
        "index, platforms, attestations, loose"
    );
    let tagged: Vec<&Value> = versions
        .iter()
        .filter(|version| {
            !version["metadata"]["container"]["tags"]
                .as_array()
                .unwrap()
                .is_empty()
        })
        .collect();
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0]["name"], index.digest.as_str());
    assert_eq!(tagged[0]["metadata"]["container"]["tags"][0], "v1");
    assert_eq!(tagged[0]["metadata"]["package_type"], "container");
    assert!(
        versions
            .iter()
            .any(|version| version["name"] == loose.digest.as_str())
    );
    for version in versions {
        assert!(version["id"].as_u64().unwrap() > u64::from(u32::MAX));
        assert!(version["created_at"].as_str().unwrap().ends_with('Z'));
    }
    // The same through the users family; the org family refuses a user.
    let via_users = get(&format!(
        "{base}/users/acme/packages/container/api/versions"
    ))
    .await;
    assert_eq!(via_users.body.as_array().unwrap().len(), 6);
    assert_eq!(
        get(&format!("{base}/orgs/octo/packages/container/api/versions"))
            .await
            .status,
        404
    );
    assert_eq!(fake.count(RequestKind::VersionList), 3);
    assert_eq!(fake.count(RequestKind::OwnerLookup), 3);
}

#[tokio::test]
async fn pages_carry_absolute_links_and_per_page_is_capped() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    for _ in 0..5 {
        registry.image("acme/team/app").push();
    }
    let base = fake.api_url();
    let first = get(&format!(
        "{base}/orgs/acme/packages/container/team%2Fapp/versions?per_page=2"
    ))
    .await;
    assert_eq!(first.body.as_array().unwrap().len(), 2);
    let links = link(&first);
    let next = format!(
        "<{base}/orgs/acme/packages/container/team%2Fapp/versions?per_page=2&page=2>; rel=\"next\""
    );
    assert!(links.contains(&next), "{links}");
    assert!(links.contains("page=3>; rel=\"last\""), "{links}");
    assert!(!links.contains("rel=\"prev\""), "{links}");
    let last = get(&format!(
        "{base}/orgs/acme/packages/container/team%2Fapp/versions?per_page=2&page=3"
    ))
    .await;
    assert_eq!(last.body.as_array().unwrap().len(), 1);
    let links = link(&last);
    assert!(links.contains("rel=\"first\"") && links.contains("page=2>; rel=\"prev\""));
    assert!(!links.contains("rel=\"next\""), "{links}");
    let capped = get(&format!(
        "{base}/orgs/acme/packages/container/team%2Fapp/versions?per_page=1000"
    ))
    .await;
    assert_eq!(capped.body.as_array().unwrap().len(), 5);
    assert!(link(&capped).is_empty(), "one page, no links");
    // Unencoded, the slash splits the path: GitHub answers 404.
    let unencoded = get(&format!(
        "{base}/orgs/acme/packages/container/team/app/versions"
    ))
    .await;
    assert_eq!(unencoded.status, 404);
    let packages = get(&format!("{base}/orgs/acme/packages?package_type=container")).await;
    let names: Vec<&str> = packages
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|package| package["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["team/app"]);
}

#[tokio::test]
async fn deleting_a_version_deletes_the_manifest_in_the_registry() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    let keep = registry.image("acme/api").tag("keep").push();
    let drop = registry.image("acme/api").tag("drop").push();
    let loose = registry.image("acme/api").push();
    let url = api_version(&fake, id_of(&fake, "acme/api", &drop.digest));
    let deleted = call(reqwest::Method::DELETE, &url, TOKEN).await;
    assert_eq!(deleted.status, 204);
    assert!(!registry.manifest_exists("acme/api", &drop.digest));
    registry.assert_resolves_fully("acme/api:keep");
    assert_eq!(fake.versions("acme/api").len(), 2);
    assert_eq!(call(reqwest::Method::DELETE, &url, TOKEN).await.status, 404);
    assert_eq!(fake.deleted(), 1);

    // The last tagged version cannot go (an untagged one is left besides it).
    assert!(registry.manifest_exists("acme/api", &loose.digest));
    let keep_url = api_version(&fake, id_of(&fake, "acme/api", &keep.digest));
    let refused = call(reqwest::Method::DELETE, &keep_url, TOKEN).await;
    assert_eq!(refused.status, 400);
    assert!(message(&refused).contains("last tagged version"));
    assert!(registry.manifest_exists("acme/api", &keep.digest));
}

#[tokio::test]
async fn popular_versions_and_races_answer_as_github_does() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    registry.image("acme/api").tag("latest").push();
    let popular = registry.image("acme/api").tag("v1").push();
    let racing = registry.image("acme/api").push();
    fake.make_popular("acme/api", &popular.digest);
    fake.vanish_before_delete("acme/api", &racing.digest);
    let url = |digest: &str| api_version(&fake, id_of(&fake, "acme/api", digest));
    let refused = call(reqwest::Method::DELETE, &url(&popular.digest), TOKEN).await;
    assert_eq!(refused.status, 400);
    assert!(message(&refused).contains("5000 downloads"));
    let raced = call(reqwest::Method::DELETE, &url(&racing.digest), TOKEN).await;
    assert_eq!(raced.status, 404);
    assert!(!registry.manifest_exists("acme/api", &racing.digest));
    assert_eq!(fake.deleted(), 0, "someone else deleted it");
}

#[tokio::test]
async fn tokens_are_refused_as_github_refuses_them() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    registry.image("acme/api").tag("v1").push();
    registry.image("acme/web").tag("v1").push();
    registry.image("octo/tool").tag("v1").push();
    fake.add_token(
        "ghs_actions",
        "github-actions[bot]",
        TokenKind::GithubToken {
            packages: vec!["api".into(), "tool".into()],
            role: PackageRole::Admin,
        },
    );
    fake.add_token("github_pat_fine", "octo", TokenKind::FineGrained);
    let base = fake.api_url();
    let with = |token: &'static str, path: &str| {
        let url = format!("{base}{path}");
        async move { call(reqwest::Method::GET, &url, token).await }
    };
    let listing = with("ghs_actions", "/orgs/acme/packages?package_type=container").await;
    assert_eq!(
        (listing.status, message(&listing)),
        (StatusCode::BAD_REQUEST, "Invalid argument")
    );
    assert_eq!(
        with("ghs_actions", "/orgs/acme/packages/container/api/versions")
            .await
            .status,
        200
    );
    let ungranted = with("ghs_actions", "/orgs/acme/packages/container/web/versions").await;
    assert_eq!(
        (ungranted.status, message(&ungranted)),
        (StatusCode::NOT_FOUND, "Package not found.")
    );
    let user_owned = with(
        "ghs_actions",
        "/users/octo/packages/container/tool/versions",
    )
    .await;
    assert_eq!(user_owned.status, 403);
    assert!(message(&user_owned).contains("Resource not accessible by integration"));
    let fine = with("github_pat_fine", "/user/packages/container/tool/versions").await;
    assert_eq!(fine.status, 403);
    assert_eq!(with("nonsense", "/users/acme").await.status, 401);
    // A classic PAT of octo reaches its own packages through /user.
    let mine = get(&format!("{base}/user/packages/container/tool/versions")).await;
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
    // An App installation token: every packages route refuses it, lookups still work.
    fake.add_token("ghs_app", "acme-app[bot]", TokenKind::App);
    for path in [
        "/orgs/acme/packages?package_type=container",
        "/orgs/acme/packages/container/api/versions",
    ] {
        let refused = with("ghs_app", path).await;
        assert_eq!(
            (refused.status, message(&refused)),
            (
                StatusCode::FORBIDDEN,
                "Resource not accessible by integration"
            ),
            "{path}"
        );
    }
    assert_eq!(with("ghs_app", "/users/acme").await.status, 200);
}

#[tokio::test]
async fn below_the_admin_role_versions_are_readable_and_deletes_answer_404() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    registry.image("acme/api").tag("v1").push();
    let loose = registry.image("acme/api").push();
    fake.add_token(
        "ghs_reader",
        "github-actions[bot]",
        TokenKind::GithubToken {
            packages: vec!["api".into()],
            role: PackageRole::Write,
        },
    );
    let url = api_version(&fake, id_of(&fake, "acme/api", &loose.digest));
    let refused = call(reqwest::Method::DELETE, &url, "ghs_reader").await;
    assert_eq!(
        (refused.status, message(&refused)),
        (StatusCode::NOT_FOUND, "Package not found.")
    );
    let still_there = call(reqwest::Method::GET, &url, "ghs_reader").await;
    assert_eq!(still_there.status, 200);
    assert_eq!(still_there.body["name"], loose.digest.as_str());
    assert!(registry.manifest_exists("acme/api", &loose.digest));
}

#[tokio::test]
async fn private_packages_of_a_user_are_served_through_user_only() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    let image = registry.image("octo/tool").tag("v1").push();
    registry.image("octo/tool").push();
    let base = fake.api_url();
    let named = format!("{base}/users/octo/packages/container/tool/versions");
    assert_eq!(get(&named).await.status, 404, "private: not via /users");
    let own = get(&format!("{base}/user/packages/container/tool/versions")).await;
    assert_eq!(own.body.as_array().unwrap().len(), 2);
    // The owner's listing through /users shows it; another account's does not.
    let listing = format!("{base}/users/octo/packages?package_type=container");
    assert_eq!(get(&listing).await.body.as_array().unwrap().len(), 1);
    fake.add_token("ghp_other", "someone", TokenKind::Classic);
    let theirs = call(reqwest::Method::GET, &listing, "ghp_other").await;
    assert!(theirs.body.as_array().unwrap().is_empty());
    fake.set_visibility("octo/tool", Visibility::Public);
    assert_eq!(get(&named).await.body.as_array().unwrap().len(), 2);
    let theirs = call(reqwest::Method::GET, &listing, "ghp_other").await;
    assert_eq!(theirs.body[0]["visibility"], "public");
    // Public or not, only an admin of the package deletes.
    let id = fake.versions("octo/tool")[1].id;
    let delete = format!("{base}/users/octo/packages/container/tool/versions/{id}");
    let refused = call(reqwest::Method::DELETE, &delete, "ghp_other").await;
    assert_eq!(refused.status, 404);
    assert!(registry.manifest_exists("octo/tool", &image.digest));
}

#[tokio::test]
async fn package_listings_have_no_link_header_and_a_10000_item_window() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    registry.image("acme/api").push();
    fake.add_listed_packages("acme", (0..250).map(|n| format!("svc-{n:03}")));
    let base = fake.api_url();
    let page = |n: usize, per_page: usize| {
        format!("{base}/orgs/acme/packages?package_type=container&per_page={per_page}&page={n}")
    };
    let first = get(&page(1, 100)).await;
    assert_eq!(first.body.as_array().unwrap().len(), 100);
    assert!(!first.headers.contains_key("link"), "a full page, no Link");
    let third = get(&page(3, 100)).await;
    assert_eq!(third.body.as_array().unwrap().len(), 51);
    assert_eq!(get(&page(4, 100)).await.body.as_array().unwrap().len(), 0);
    assert_eq!(get(&page(100, 100)).await.status, 200);
    let beyond = get(&page(101, 100)).await;
    assert_eq!(beyond.status, 400);
    assert!(message(&beyond).contains("cannot be greater than 10000"));
    assert_eq!(get(&page(201, 50)).await.status, 400);
    let public = get(&format!(
        "{base}/orgs/acme/packages?package_type=container&visibility=public"
    ))
    .await;
    assert!(public.body.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_last_version_of_a_package_cannot_be_deleted() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    let only = registry.image("acme/api").push();
    let url = api_version(&fake, fake.versions("acme/api")[0].id);
    let refused = call(reqwest::Method::DELETE, &url, TOKEN).await;
    assert_eq!(refused.status, 400);
    assert!(message(&refused).contains("cannot delete the last version of a package"));
    assert!(registry.manifest_exists("acme/api", &only.digest));
}

#[tokio::test]
async fn version_listings_can_send_hostile_links() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    for _ in 0..3 {
        registry.image("acme/api").push();
    }
    let url = |page: usize| {
        format!(
            "{}/orgs/acme/packages/container/api/versions?per_page=2&page={page}",
            fake.api_url()
        )
    };
    fake.set_link_fault(LinkFault::Omitted);
    assert!(link(&get(&url(1)).await).is_empty());
    fake.set_link_fault(LinkFault::LastPage("18446744073709551615".into()));
    let links = link(&get(&url(1)).await);
    assert!(
        links.contains("page=18446744073709551615>; rel=\"last\""),
        "{links}"
    );
    assert!(links.contains("page=2>; rel=\"next\""), "{links}");
    fake.set_link_fault(LinkFault::NextToFirst);
    let links = link(&get(&url(2)).await);
    assert!(links.contains("page=1>; rel=\"next\""), "{links}");
    fake.window_version_listings(2);
    assert_eq!(get(&url(2)).await.status, 400);
}

#[tokio::test]
async fn rate_limits_refuse_with_the_documented_answers() {
    let registry = Registry::start();
    let fake = fake(
        &registry,
        FakeOptions {
            primary: PrimaryLimit {
                limit: 3,
                window: Duration::from_secs(3600),
            },
            secondary: Some(SecondaryLimit {
                deletes: 1,
                window: Duration::from_secs(60),
            }),
            ..FakeOptions::default()
        },
    );
    registry.image("acme/api").tag("keep").push();
    let a = registry.image("acme/api").push();
    let b = registry.image("acme/api").push();
    let ids: Vec<u64> = fake
        .versions("acme/api")
        .iter()
        .filter(|v| v.digest == a.digest || v.digest == b.digest)
        .map(|v| v.id)
        .collect();
    let url = |id: u64| api_version(&fake, id);
    let first = call(reqwest::Method::DELETE, &url(ids[0]), TOKEN).await;
    assert_eq!(first.status, 204);
    assert_eq!(first.headers["x-ratelimit-remaining"], "2");
    let second = call(reqwest::Method::DELETE, &url(ids[1]), TOKEN).await;
    assert_eq!(second.status, 403);
    let retry_after: u64 = second.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(message(&second).contains("secondary rate limit"));
    get(&format!("{}/users/acme", fake.api_url())).await;
    let spent = get(&format!("{}/users/acme", fake.api_url())).await;
    assert_eq!(spent.status, 403);
    assert_eq!(spent.headers["x-ratelimit-remaining"], "0");
    let reset: u64 = spent.headers["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(reset > now, "reset lies ahead");
    assert_eq!(fake.rate_limited(), 2);
    // GET /rate_limit costs nothing.
    let status = get(&format!("{}/rate_limit", fake.api_url())).await;
    assert_eq!(status.body["resources"]["core"]["remaining"], 0);
}

#[tokio::test]
async fn the_registry_front_demands_a_token_and_refuses_deletes() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    let image = registry.image("acme/api").tag("v1").push();
    let client = reqwest::Client::new();
    let manifest_url = format!(
        "{}/v2/acme/api/manifests/{}",
        fake.registry_url(),
        image.digest
    );
    let anonymous = client.get(&manifest_url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let challenge = anonymous.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("scope=\"repository:acme/api:pull\""),
        "{challenge}"
    );
    let token: Value = client
        .get(format!(
            "{}/token?scope=repository:acme/api:pull&service=ghcr.io",
            fake.registry_url()
        ))
        .basic_auth("anyone", Some(TOKEN))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let read = client
        .get(&manifest_url)
        .bearer_auth(&token)
        .header("accept", &image.media_type)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(
        read.headers()["docker-content-digest"],
        image.digest.as_str()
    );
    assert_eq!(read.bytes().await.unwrap(), image.manifest);
    let delete = client
        .delete(&manifest_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 405);
    assert!(delete.text().await.unwrap().contains("UNSUPPORTED"));
    assert!(registry.manifest_exists("acme/api", &image.digest));
    assert_eq!(fake.issued_registry_tokens(), [token]);
    assert_eq!(fake.count(RequestKind::RegistryManifest), 2);
    assert_eq!(fake.count(RequestKind::RegistryToken), 1);
    assert_eq!(fake.count(RequestKind::RegistryDelete), 1);
}

#[tokio::test]
async fn injected_faults_come_first_and_times_can_be_set() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    let image = registry.image("acme/api").tag("v1").push();
    let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    fake.set_times("acme/api", &image.digest, long_ago, long_ago);
    fake.fail_next(RequestKind::VersionList, 502, 1);
    let url = format!(
        "{}/orgs/acme/packages/container/api/versions",
        fake.api_url()
    );
    assert_eq!(get(&url).await.status, 502);
    let listing = get(&url).await;
    assert_eq!(listing.body[0]["created_at"], "2023-11-14T22:13:20Z");
    assert_eq!(fake.count(RequestKind::VersionList), 2);
}

#[test]
fn manifests_written_to_storage_are_served_and_listed() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    let base = registry.image("acme/bulk").tag("base").push();
    let manifests: Vec<StoredManifest> = (0..50)
        .map(|n| {
            let mut manifest: Value = serde_json::from_slice(&base.manifest).unwrap();
            manifest["annotations"] = serde_json::json!({"n": n.to_string()});
            StoredManifest {
                bytes: serde_json::to_vec(&manifest).unwrap(),
                tag: (n % 10 == 0).then(|| format!("t{n}")),
            }
        })
        .collect();
    let digests = registry.write_manifests("acme/bulk", &manifests);
    assert_eq!(digests.len(), 50);
    registry.assert_resolves_fully("acme/bulk:t40");
    assert_eq!(
        registry.digest_of(&format!("acme/bulk@{}", digests[7])),
        digests[7]
    );
    assert_eq!(fake.versions("acme/bulk").len(), 51);
    assert_eq!(registry.list_tags("acme/bulk").len(), 6);
}

#[test]
fn bulk_indexes_resolve_and_are_listed() {
    let registry = Registry::start();
    let fake = fake(&registry, FakeOptions::default());
    let base = registry.image("acme/bulk").tag("base").push();
    let indexes = registry.write_bulk_indexes(&base, 3, 40, "build-");
    assert_eq!(indexes.len(), 3);
    assert_eq!(indexes[2].tag, "build-2");
    assert_eq!(indexes[2].children.len(), 40);
    registry.assert_resolves_fully("acme/bulk:build-2");
    assert_eq!(fake.versions("acme/bulk").len(), 1 + 3 + 3 * 40);
}
