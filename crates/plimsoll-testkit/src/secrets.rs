//! Realistic fake secrets, one or more per built-in secret rule, built at run time so that
//! no real-looking key sits verbatim in the repository: the secret scanner's rule tests and
//! the binary's planted-secrets image share them.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// A deterministic generator of fake secrets (xorshift64*).
pub struct Fake(pub u64);

pub const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
pub const DIGITS: &str = "0123456789";
pub const HEX: &str = "0123456789abcdef";

impl Fake {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn from(&mut self, set: &str, n: usize) -> String {
        let set: Vec<char> = set.chars().collect();
        (0..n)
            .map(|_| set[(self.next_u64() % set.len() as u64) as usize])
            .collect()
    }
    pub fn alnum(&mut self, n: usize) -> String {
        self.from(&format!("{UPPER}{LOWER}{DIGITS}"), n)
    }
    pub fn lower_alnum(&mut self, n: usize) -> String {
        self.from(&format!("{LOWER}{DIGITS}"), n)
    }
    pub fn hex(&mut self, n: usize) -> String {
        self.from(HEX, n)
    }
    pub fn b64(&mut self, n: usize) -> String {
        self.from(&format!("{UPPER}{LOWER}{DIGITS}+/"), n)
    }
    pub fn urlsafe(&mut self, n: usize) -> String {
        self.from(&format!("{UPPER}{LOWER}{DIGITS}_-"), n)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// PEM-style lines of 64 characters.
pub fn pem_body(raw: &[u8]) -> String {
    let b = STANDARD.encode(raw);
    b.as_bytes()
        .chunks(64)
        .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
        .collect()
}

pub fn openssh_key(f: &mut Fake, cipher: &str) -> String {
    let mut raw = b"openssh-key-v1\0".to_vec();
    raw.extend((cipher.len() as u32).to_be_bytes());
    raw.extend(cipher.as_bytes());
    raw.extend(f.bytes(400));
    format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}-----END OPENSSH PRIVATE KEY-----\n",
        pem_body(&raw)
    )
}

/// (rule id, path, the text; the secret is on line 3 unless the case says otherwise).
pub fn cases() -> Vec<(&'static str, &'static str, String, u64, String)> {
    let mut f = Fake(0x9E37_79B9_7F4A_7C15);
    let mut v: Vec<(&'static str, &'static str, String, u64, String)> = Vec::new();
    let mut add = |id: &'static str, path: &'static str, secret: String, line: String| {
        v.push((
            id,
            path,
            format!("# settings\n\n{line}\nother = 1\n"),
            3,
            secret,
        ));
    };
    let s = format!("AKIA{}", f.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
    add(
        "aws-access-key-id",
        "root/.aws/credentials",
        s.clone(),
        format!("aws_access_key_id = {s}"),
    );
    let s = f.b64(40);
    add(
        "aws-secret-access-key",
        "root/.aws/credentials",
        s.clone(),
        format!("aws_secret_access_key = {s}"),
    );
    let s = format!("AIza{}", f.urlsafe(35));
    add(
        "gcp-api-key",
        "srv/app/static/maps.js",
        s.clone(),
        format!("const mapsKey = \"{s}\";"),
    );
    let s = format!("{}==", f.b64(86));
    add(
        "azure-connection-string",
        "srv/app/appsettings.json",
        s.clone(),
        format!(
            "  \"Storage\": \"DefaultEndpointsProtocol=https;AccountName=prodacct;AccountKey={s};EndpointSuffix=core.windows.net\","
        ),
    );
    let s = format!("{}==", f.b64(86));
    add(
        "azure-storage-account-key",
        "srv/app/values.yaml",
        s.clone(),
        format!("azure_storage_key: \"{s}\""),
    );
    let s = format!("{}8Q~{}", f.alnum(3), f.alnum(34));
    add(
        "azure-ad-client-secret",
        "srv/app/.env",
        s.clone(),
        format!("AZURE_CLIENT_SECRET={s}"),
    );
    let s = format!("ghp_{}", f.alnum(36));
    add(
        "github-pat",
        "root/.config/gh/hosts.yml",
        s.clone(),
        format!("    oauth_token: {s}"),
    );
    let s = format!("github_pat_{}_{}", f.alnum(22), f.alnum(59));
    add(
        "github-fine-grained-pat",
        "srv/app/deploy.sh",
        s.clone(),
        format!("export GH_TOKEN={s}"),
    );
    let s = format!("gho_{}", f.alnum(36));
    add(
        "github-oauth",
        "srv/app/app.py",
        s.clone(),
        format!("TOKEN = '{s}'"),
    );
    let s = format!("ghs_{}", f.alnum(36));
    add(
        "github-app-token",
        "srv/app/ci.log",
        s.clone(),
        format!("using installation token {s} for clone"),
    );
    let s = format!("ghr_{}", f.alnum(76));
    add(
        "github-refresh-token",
        "srv/app/state.json",
        s.clone(),
        format!("  \"refresh\": \"{s}\","),
    );
    let s = format!("glpat-{}", f.urlsafe(20));
    add("gitlab-pat", "srv/app/.gitlab-token", s.clone(), s.clone());
    let s = format!("GR1348941{}", f.urlsafe(20));
    add(
        "gitlab-runner-registration-token",
        "etc/gitlab-runner/register.sh",
        s.clone(),
        format!("gitlab-runner register --registration-token {s}"),
    );
    let s = format!("glrt-{}", f.urlsafe(20));
    add(
        "gitlab-runner-authentication-token",
        "etc/gitlab-runner/config.toml",
        s.clone(),
        format!("  token = \"{s}\""),
    );
    let s = format!("gldt-{}", f.urlsafe(20));
    add(
        "gitlab-deploy-token",
        "srv/app/pull.sh",
        s.clone(),
        format!("git clone https://deploy:{s}@gitlab.example.com/g/p.git"),
    );
    let s = format!("glcbt-{}_{}", f.alnum(3), f.urlsafe(20));
    add(
        "gitlab-cicd-job-token",
        "srv/app/job.log",
        s.clone(),
        format!("CI_JOB_TOKEN {s}"),
    );
    let s = format!("glptt-{}", f.hex(40));
    add(
        "gitlab-other-token",
        "srv/app/trigger.sh",
        s.clone(),
        format!("curl -F token={s} https://gitlab.example.com/api"),
    );
    let s = f.lower_alnum(32);
    add(
        "gitlab-session-cookie",
        "srv/app/cookies.txt",
        s.clone(),
        format!("Cookie: _gitlab_session={s}"),
    );
    let s = format!("npm_{}", f.alnum(36));
    add(
        "npm-access-token",
        "root/.npmrc",
        s.clone(),
        format!("//registry.npmjs.org/:_authToken={s}"),
    );
    let s = STANDARD.encode(format!("ci-bot:{}", f.alnum(20)));
    add(
        "npmrc-auth-token",
        "srv/app/.npmrc",
        s.clone(),
        format!("_auth={s}"),
    );
    let s = format!("pypi-AgEIcHlwaS5vcmc{}", f.urlsafe(120));
    add(
        "pypi-upload-token",
        "root/.pypirc",
        s.clone(),
        format!("password = {s}"),
    );
    let s = format!("rubygems_{}", f.hex(48));
    add(
        "rubygems-api-token",
        "root/.gem/credentials",
        s.clone(),
        format!(":rubygems_api_key: {s}"),
    );
    let s = format!("oy2{}", f.lower_alnum(43));
    add(
        "nuget-api-key",
        "srv/app/publish.ps1",
        s.clone(),
        format!("dotnet nuget push pkg.nupkg --api-key {s}"),
    );
    let s = f.alnum(18);
    add(
        "nuget-config-password",
        "srv/app/NuGet.Config",
        s.clone(),
        format!("      <add key=\"ClearTextPassword\" value=\"{s}\" />"),
    );
    let s = STANDARD.encode(format!("deploy:{}", f.alnum(24)));
    add(
        "docker-config-auth",
        "root/.docker/config.json",
        s.clone(),
        format!("    \"registry.example.com\": {{ \"auth\": \"{s}\" }}"),
    );
    let s = format!(
        "xoxb-{}-{}-{}",
        f.from(DIGITS, 12),
        f.from(DIGITS, 13),
        f.alnum(24)
    );
    add(
        "slack-bot-token",
        "srv/app/bot.env",
        s.clone(),
        format!("SLACK_BOT_TOKEN={s}"),
    );
    let s = format!(
        "xoxp-{}-{}-{}-{}",
        f.from(DIGITS, 12),
        f.from(DIGITS, 12),
        f.from(DIGITS, 13),
        f.hex(32)
    );
    add(
        "slack-user-token",
        "srv/app/notify.py",
        s.clone(),
        format!("client = WebClient(token=\"{s}\")"),
    );
    let s = format!(
        "xapp-1-A{}-{}-{}",
        f.from(&format!("{UPPER}{DIGITS}"), 10),
        f.from(DIGITS, 13),
        f.hex(64)
    );
    add(
        "slack-app-token",
        "srv/app/socket.env",
        s.clone(),
        format!("SLACK_APP_TOKEN={s}"),
    );
    let s = format!("xoxs-{}-{}", f.from(DIGITS, 10), f.alnum(40));
    add(
        "slack-legacy-token",
        "srv/app/legacy.cfg",
        s.clone(),
        format!("slack = {s}"),
    );
    let s = format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        f.from(&format!("{UPPER}{DIGITS}"), 8),
        f.from(&format!("{UPPER}{DIGITS}"), 10),
        f.alnum(24)
    );
    add(
        "slack-web-hook",
        "srv/app/alerts.yml",
        s.clone(),
        format!("webhook: {s}"),
    );
    let s = format!("sk_live_{}", f.alnum(24));
    add(
        "stripe-secret-token",
        "srv/app/billing.rb",
        s.clone(),
        format!("Stripe.api_key = '{s}'"),
    );
    let s = format!("sk_test_{}", f.alnum(24));
    add(
        "stripe-test-secret-token",
        "srv/app/billing_test.rb",
        s.clone(),
        format!("Stripe.api_key = '{s}'"),
    );
    let s = format!("pk_live_{}", f.alnum(24));
    add(
        "stripe-publishable-token",
        "srv/app/checkout.js",
        s.clone(),
        format!("Stripe('{s}');"),
    );
    let s = format!("SK{}", f.hex(32));
    add(
        "twilio-api-key",
        "srv/app/sms.py",
        s.clone(),
        format!("twilio_client = Client('{s}', secret)"),
    );
    let s = format!("SG.{}.{}", f.urlsafe(22), f.urlsafe(43));
    add(
        "sendgrid-api-token",
        "srv/app/mail.js",
        s.clone(),
        format!("sgMail.setApiKey('{s}');"),
    );
    let s = format!("shpat_{}", f.hex(32));
    add(
        "shopify-token",
        "srv/app/shop.js",
        s.clone(),
        format!("const token = '{s}';"),
    );
    let s = format!(
        "AGE-SECRET-KEY-1{}",
        f.from("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)
    );
    add(
        "age-secret-key",
        "root/.config/sops/age/keys.txt",
        s.clone(),
        s.clone(),
    );
    let s = format!("hf_{}", f.alnum(34));
    add(
        "hugging-face-access-token",
        "srv/app/download.py",
        s.clone(),
        format!("login(\"{s}\")"),
    );
    let s = format!("sk-proj-{}T3BlbkFJ{}", f.urlsafe(58), f.urlsafe(58));
    add(
        "openai-api-key",
        "srv/app/ai.py",
        s.clone(),
        format!("openai.api_key = \"{s}\""),
    );
    let s = format!("sk-ant-api03-{}AA", f.urlsafe(93));
    add(
        "anthropic-api-key",
        "srv/app/ai.py",
        s.clone(),
        format!("client = Anthropic(api_key=\"{s}\")"),
    );
    let s = format!("dapi{}", f.hex(32));
    add(
        "databricks-api-token",
        "srv/app/job.py",
        s.clone(),
        format!("host_token = \"{s}\""),
    );
    let s = format!("dop_v1_{}", f.hex(64));
    add(
        "digitalocean-token",
        "srv/app/infra.sh",
        s.clone(),
        format!("doctl auth init -t {s}"),
    );
    let s = format!("dp.pt.{}", f.alnum(43));
    add(
        "doppler-api-token",
        "srv/app/run.sh",
        s.clone(),
        format!("doppler run --token {s} -- ./app"),
    );
    let s = format!(
        "dt0c01.{}.{}",
        f.from(&format!("{UPPER}{DIGITS}"), 24),
        f.from(&format!("{UPPER}{DIGITS}"), 64)
    );
    add(
        "dynatrace-api-token",
        "srv/app/agent.sh",
        s.clone(),
        format!("curl -H 'Authorization: Api-Token {s}' https://x"),
    );
    let s = format!("EZAK{}", f.alnum(54));
    add(
        "easypost-api-token",
        "srv/app/ship.rb",
        s.clone(),
        format!("client = EasyPost::Client.new(api_key: '{s}')"),
    );
    let s = format!("FLWSECK_TEST-{}-X", f.from("abcdefgh0123456789", 32));
    add(
        "flutterwave-key",
        "srv/app/pay.php",
        s.clone(),
        format!("$flw = new Rave('{s}');"),
    );
    let s = format!("fio-u-{}", f.urlsafe(64));
    add(
        "frameio-api-token",
        "srv/app/frame.py",
        s.clone(),
        format!("frame = FrameioClient('{s}')"),
    );
    let s = format!("glsa_{}_{}", f.alnum(32), f.hex(8));
    add(
        "grafana-api-token",
        "srv/app/provision.sh",
        s.clone(),
        format!("curl -H \"Authorization: Bearer {s}\" http://grafana:3000/api"),
    );
    let s = format!("{}.atlasv1.{}", f.alnum(14), f.urlsafe(67));
    add(
        "hashicorp-tf-api-token",
        "root/.terraformrc",
        s.clone(),
        format!("  token = \"{s}\""),
    );
    let s = format!("hvs.{}", f.urlsafe(95));
    add(
        "vault-token",
        "srv/app/entrypoint.sh",
        s.clone(),
        format!("export VAULT_TOKEN={s}"),
    );
    let s = format!("HRKU-AA{}", f.urlsafe(58));
    add(
        "heroku-api-key-v2",
        "root/.netrc-heroku",
        s.clone(),
        format!("heroku {s}"),
    );
    let s = format!("lin_api_{}", f.alnum(40));
    add(
        "linear-api-token",
        "srv/app/linear.js",
        s.clone(),
        format!("new LinearClient({{ apiKey: '{s}' }})"),
    );
    let s = format!("NRAK-{}", f.from(&format!("{UPPER}{DIGITS}"), 27));
    add(
        "new-relic-api-key",
        "srv/app/newrelic.js",
        s.clone(),
        format!("  user_key: '{s}',"),
    );
    let s = format!("pscale_tkn_{}", f.urlsafe(43));
    add(
        "planetscale-token",
        "srv/app/db.sh",
        s.clone(),
        format!("pscale auth login --service-token {s}"),
    );
    let s = format!("packagist_out_{}", f.hex(68));
    add(
        "private-packagist-token",
        "srv/app/auth.txt",
        s.clone(),
        format!("composer config --global --auth http-basic.repo.packagist.com token {s}"),
    );
    let s = format!("PMAK-{}-{}", f.hex(24), f.hex(34));
    add(
        "postman-api-token",
        "srv/app/newman.sh",
        s.clone(),
        format!("newman run --postman-api-key {s}"),
    );
    let s = format!("pul-{}", f.hex(40));
    add(
        "pulumi-api-token",
        "srv/app/pulumi.sh",
        s.clone(),
        format!("pulumi login --token {s}"),
    );
    let s = format!("xkeysib-{}-{}", f.hex(64), f.alnum(16));
    add(
        "sendinblue-api-token",
        "srv/app/mailer.php",
        s.clone(),
        format!("$config->setApiKey('api-key', '{s}');"),
    );
    let s = format!("shippo_live_{}", f.hex(40));
    add(
        "shippo-api-token",
        "srv/app/ship.py",
        s.clone(),
        format!("shippo.config.api_key = \"{s}\""),
    );
    let s = format!("CLOJARS_{}", f.lower_alnum(60));
    add(
        "clojars-api-token",
        "root/.lein/credentials.clj",
        s.clone(),
        format!("{{:password \"{s}\"}}"),
    );
    let s = format!("p8e-{}", f.alnum(32));
    add(
        "adobe-client-secret",
        "srv/app/adobe.js",
        s.clone(),
        format!("clientSecret: '{s}',"),
    );
    let s = format!("LTAI{}", f.alnum(20));
    add(
        "alibaba-access-key-id",
        "srv/app/oss.py",
        s.clone(),
        format!("auth = oss2.Auth('{s}', secret)"),
    );
    let s = format!("ops_eyJ{}", f.b64(300));
    add(
        "1password-token",
        "srv/app/op.sh",
        s.clone(),
        format!("export OP_SERVICE_ACCOUNT_TOKEN={s}"),
    );
    let s = format!("AKCp{}", f.alnum(69));
    add(
        "artifactory-token",
        "srv/app/pull.sh",
        s.clone(),
        format!("curl -H 'X-JFrog-Art-Api: {s}' https://x"),
    );
    let s = format!("ntn_{}{}", f.from(DIGITS, 11), f.alnum(35));
    add(
        "notion-api-token",
        "srv/app/notion.js",
        s.clone(),
        format!("new Client({{ auth: '{s}' }})"),
    );
    let s = format!("pplx-{}", f.alnum(48));
    add(
        "perplexity-api-key",
        "srv/app/ask.py",
        s.clone(),
        format!("client = OpenAI(api_key=\"{s}\")"),
    );
    let s = format!("pnu_{}", f.alnum(36));
    add(
        "prefect-api-token",
        "srv/app/flow.sh",
        s.clone(),
        format!("prefect cloud login -k {s}"),
    );
    let s = format!("rdme_{}", f.lower_alnum(70));
    add(
        "readme-api-token",
        "srv/app/docs.sh",
        s.clone(),
        format!("rdme openapi --key={s}"),
    );
    let s = format!("tk-us-{}", f.urlsafe(48));
    add(
        "scalingo-api-token",
        "srv/app/deploy.sh",
        s.clone(),
        format!("scalingo login --api-token {s}"),
    );
    let s = format!("sntryu_{}", f.hex(64));
    add(
        "sentry-token",
        "srv/app/release.sh",
        s.clone(),
        format!("sentry-cli --auth-token {s} releases new"),
    );
    let s = format!("ico-{}", f.alnum(32));
    add(
        "infracost-api-token",
        "srv/app/cost.sh",
        s.clone(),
        format!("infracost configure set api_key {s}"),
    );
    let s = format!("sq0atp-{}", f.urlsafe(22));
    add(
        "square-access-token",
        "srv/app/pay.js",
        s.clone(),
        format!("accessToken: '{s}',"),
    );
    let s = format!("EAAC{}", f.alnum(120));
    add(
        "facebook-page-access-token",
        "srv/app/fb.py",
        s.clone(),
        format!("graph = GraphAPI(\"{s}\")"),
    );
    let s = format!("{}-us12", f.hex(32));
    add(
        "mailchimp-api-key",
        "srv/app/mailchimp.py",
        s.clone(),
        format!("mailchimp.set_config({{\"api_key\": \"{s}\"}})"),
    );
    let s = format!("pk.eyJ1Ijoi{}.{}", f.urlsafe(40), f.urlsafe(22));
    add(
        "mapbox-api-token",
        "srv/app/map.js",
        s.clone(),
        format!("mapboxgl.accessToken = '{s}';"),
    );
    let s = format!("{}:A{}", f.from(DIGITS, 10), f.urlsafe(34));
    add(
        "telegram-bot-api-token",
        "srv/app/bot.py",
        s.clone(),
        format!("telegram_bot = Bot(\"{s}\")"),
    );
    let s = format!(
        "https://acme.webhook.office.com/webhookb2/{}@{}/IncomingWebhook/{}/{}",
        uuid(&mut f),
        uuid(&mut f),
        f.lower_alnum(32),
        uuid(&mut f)
    );
    add(
        "microsoft-teams-webhook",
        "srv/app/notify.yml",
        s.clone(),
        format!("url: {s}"),
    );
    let s = format!("v1.0-{}-{}", f.hex(24), f.hex(146));
    add(
        "cloudflare-origin-ca-key",
        "srv/app/cf.sh",
        s.clone(),
        format!("export CF_API_KEY={s}"),
    );
    let s = format!("sha256~{}", f.urlsafe(43));
    add(
        "openshift-user-token",
        "srv/app/oc.sh",
        s.clone(),
        format!("oc login --token={s} --server=https://api.example.com:6443"),
    );
    let s = format!("sgp_{}_{}", f.hex(16), f.hex(40));
    add(
        "sourcegraph-access-token",
        "srv/app/src.sh",
        s.clone(),
        format!("src login --token {s}"),
    );
    let s = format!("fo1_{}", f.urlsafe(43));
    add(
        "flyio-access-token",
        "srv/app/fly.sh",
        s.clone(),
        format!("flyctl deploy --access-token {s}"),
    );
    let s = format!("pat.{}.{}.{}", f.urlsafe(22), f.alnum(24), f.alnum(20));
    add(
        "harness-api-key",
        "srv/app/harness.sh",
        s.clone(),
        format!("curl -H 'x-api-key: {s}' https://app.harness.io"),
    );
    let s = format!("{}_{}_mmk", f.alnum(6), f.alnum(29));
    add(
        "maxmind-license-key",
        "etc/GeoIP.cnf",
        s.clone(),
        format!("LicenseKey {s}"),
    );
    let s = format!("duffel_test_{}", f.urlsafe(43));
    add(
        "duffel-api-token",
        "srv/app/travel.js",
        s.clone(),
        format!("new Duffel({{ token: '{s}' }})"),
    );
    let s = format!("sm_pat_{}", f.alnum(16));
    add(
        "settlemint-token",
        "srv/app/chain.sh",
        s.clone(),
        format!("settlemint login --token {s}"),
    );
    // kubeconfig: token and client key
    let s = format!("{}.{}", f.alnum(6), f.lower_alnum(16));
    let pad = f.alnum(20);
    let tok = format!("{s}{pad}");
    add(
        "kubeconfig-token",
        "root/.kube/config",
        tok.clone(),
        format!("    token: {tok}"),
    );
    let s = STANDARD.encode(format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}-----END RSA PRIVATE KEY-----\n",
        pem_body(&f.bytes(300))
    ));
    add(
        "kubeconfig-client-key",
        "root/.kube/config",
        s.clone(),
        format!("    client-key-data: {s}"),
    );
    // JWT
    let head = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(r#"{"sub":"svc-billing","iat":1767225600,"scope":"admin"}"#);
    let s = format!("{head}.{body}.{}", f.urlsafe(43));
    add(
        "jwt-token",
        "srv/app/client.js",
        s.clone(),
        format!("headers: {{ Authorization: 'Bearer {s}' }},"),
    );
    // credentials files and URLs
    let s = format!("{}!{}", f.alnum(10), f.from(DIGITS, 4));
    add(
        "netrc-password",
        "root/.netrc",
        s.clone(),
        format!("machine api.internal login deploy password {s}"),
    );
    let s = format!("{}%{}", f.alnum(12), f.from(DIGITS, 3));
    add(
        "pgpass-password",
        "root/.pgpass",
        s.clone(),
        format!("db.internal:5432:orders:orders_rw:{s}"),
    );
    let s = format!("{}{}", f.alnum(14), f.from(DIGITS, 3));
    add(
        "database-url-password",
        "srv/app/.env",
        s.clone(),
        format!("DATABASE_URL=postgresql://orders:{s}@db.internal:5432/orders"),
    );
    let s = format!("{}#{}", f.alnum(12), f.from(DIGITS, 4));
    add(
        "generic-secret",
        "srv/app/config/settings.yaml",
        s.clone(),
        format!("  db_password: \"{s}\""),
    );
    let s = format!("{}{}", f.alnum(16), f.from(DIGITS, 2));
    add(
        "generic-secret",
        "srv/app/.env",
        s.clone(),
        format!("SECRET_KEY_BASE={s}"),
    );

    // Multi-line cases: the reported line is the BEGIN line (3).
    let mut pem = |id: &'static str, path: &'static str, text: String| {
        v.push((
            id,
            path,
            format!("# key\n\n{text}trailer\n"),
            3,
            String::new(),
        ));
    };
    pem(
        "private-key",
        "etc/ssl/private/server.key",
        format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}-----END RSA PRIVATE KEY-----\n",
            pem_body(&f.bytes(600))
        ),
    );
    pem(
        "private-key",
        "srv/app/certs/ec.pem",
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}-----END PRIVATE KEY-----\n",
            pem_body(&f.bytes(120))
        ),
    );
    pem(
        "openssh-private-key",
        "root/.ssh/id_ed25519",
        openssh_key(&mut f, "none"),
    );
    pem(
        "encrypted-private-key",
        "root/.ssh/id_rsa",
        openssh_key(&mut f, "aes256-ctr"),
    );
    pem(
        "encrypted-private-key",
        "srv/app/key.pem",
        format!(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{}-----END ENCRYPTED PRIVATE KEY-----\n",
            pem_body(&f.bytes(600))
        ),
    );
    pem(
        "encrypted-private-key",
        "srv/app/legacy.pem",
        format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{}\n\n{}-----END RSA PRIVATE KEY-----\n",
            f.hex(32).to_uppercase(),
            pem_body(&f.bytes(600))
        ),
    );
    pem(
        "pgp-private-key",
        "root/.gnupg/backup.asc",
        format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{}={}\n-----END PGP PRIVATE KEY BLOCK-----\n",
            pem_body(&f.bytes(900)),
            f.b64(4)
        ),
    );
    // GCP service account: one finding (not also private-key), on the private_key line.
    let key = pem_body(&f.bytes(600)).replace('\n', "\\n");
    v.push((
        "gcp-service-account",
        "srv/app/sa.json",
        format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"acme-prod\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{key}-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"ci@acme-prod.iam.gserviceaccount.com\"\n}}\n",
            f.hex(40)
        ),
        5,
        String::new(),
    ));
    v
}

pub fn uuid(f: &mut Fake) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        f.hex(8),
        f.hex(4),
        f.hex(4),
        f.hex(4),
        f.hex(12)
    )
}
