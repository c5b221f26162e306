//! The built-in rules and built-in allow rules, as data.
//!
//! Every regex here was written for plimsoll (docs/secrets.md holds them against Trivy's and
//! gitleaks' rule sets). Conventions:
//! - the secret is capture group `secret` when the regex names one, else group 1, else the
//!   whole match;
//! - regexes are compiled for bytes with Unicode off (`\w`, `\s`, `\b` are ASCII), so they run
//!   on any file content, UTF-8 or not;
//! - repetitions are bounded where a match could otherwise run far ahead of its start, so that
//!   one search costs at most a window and the scan stays linear;
//! - keywords are lowercase (the prefilter is case-insensitive); a rule runs on a window only
//!   when one of its keywords occurs in it. A rule with no keyword runs on every window of the
//!   paths it applies to (only path-restricted rules may do that).

use plimsoll_model::Severity;
use plimsoll_model::Severity::{Critical, High, Low, Medium};

/// A post-match check that a regex alone cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    None,
    /// The first part must decode (base64url) to a JSON object with an `alg` member.
    Jwt,
    /// The value must decode (base64) to `user:password` or to JSON.
    Base64Colon,
    /// PEM/OpenSSH/PGP private key blocks: the header is the match; the body runs to the
    /// next `-----END`; the kind and whether it is encrypted pick the reported rule.
    PemKey,
    /// Generic assignments: the name (group `name`) must not end like a non-secret
    /// (`_file`, `_path`, `_url`, `_id`…).
    GenericName,
}

/// One built-in rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Def {
    pub id: &'static str,
    pub title: &'static str,
    pub category: &'static str,
    pub severity: Severity,
    pub keywords: &'static [&'static str],
    /// Empty for rules that only another rule's check reports (the private-key kinds).
    pub regex: &'static str,
    pub entropy: f64,
    pub path: Option<&'static str>,
    /// Paths the rule does not apply to.
    pub not_path: Option<&'static str>,
    /// Regexes on the secret: a match means "not a secret" (placeholders, examples).
    pub allow: &'static [&'static str],
    pub check: Check,
    /// When two findings cover the same bytes, the higher priority is kept: 3 vendor
    /// tokens, 2 structural finds (keys, URLs, files), 1 the generic assignment.
    pub priority: u8,
    /// The match may span lines, or the keyword may sit on another line than the match:
    /// the regex runs on the whole window. Otherwise only on the lines holding a keyword.
    pub multiline: bool,
}

const fn rule(
    id: &'static str,
    title: &'static str,
    category: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    regex: &'static str,
) -> Def {
    Def {
        id,
        title,
        category,
        severity,
        keywords,
        regex,
        entropy: 0.0,
        path: None,
        not_path: None,
        allow: &[],
        check: Check::None,
        priority: 3,
        multiline: false,
    }
}

impl Def {
    const fn entropy(mut self, e: f64) -> Def {
        self.entropy = e;
        self
    }
    const fn path(mut self, p: &'static str) -> Def {
        self.path = Some(p);
        self
    }
    const fn not_path(mut self, p: &'static str) -> Def {
        self.not_path = Some(p);
        self
    }
    const fn allow(mut self, a: &'static [&'static str]) -> Def {
        self.allow = a;
        self
    }
    const fn check(mut self, c: Check) -> Def {
        self.check = c;
        self
    }
    const fn multiline(mut self) -> Def {
        self.multiline = true;
        self
    }
    const fn priority(mut self, p: u8) -> Def {
        self.priority = p;
        self
    }
}

/// The end of a token: not followed by another character of its alphabet.
/// (The regex crate has no look-ahead; the boundary is consumed, outside the secret group.)
macro_rules! tok_end {
    () => {
        r#"(?:[^A-Za-z0-9_-]|$)"#
    };
}

/// Values that mean "not set here": used by the credential rules.
const PLACEHOLDERS: &[&str] = &[
    r"(?i)^(?:true|false|null|none|nil|undefined|yes|no|on|off|required|optional|string|text|secret|secrets|password|passwd|pass|pwd|token|changeme|change_me|changeit|example|sample|placeholder|dummy|redacted|hidden|empty|default|test|testing|foobar|tiger|admin|root|guest|user|username|letmein|hunter2|s3cr3t|mysecretpassword|mypassword|yourpassword)$",
    r"(?i)^(?:p[a@]ss?w[o0]rd|secret|test|admin|changeme|demo|example|qwerty|letmein|root|guest|default|welcome)[0-9!@#$%^&*._-]*$",
    r"^\$",
    r"^%[A-Za-z_(]",
    r"\{\{|\}\}|\$\{|#\{|\$\(",
    r"^<.*>?$",
    r"^\[.*\]$",
    r"(?i)^x{3,}$|^\*{3,}|^\.{3,}|^-+$|^_+$|^#+$",
    r"^/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]*)*$",
    r"(?i)changeme|change[_-]me|change[_-]?it|your[_-]?(?:own[_-]?)?(?:password|secret|token|key|api)|placeholder|example|dummy|replace[_-]?me|insert[_-]|enter[_-]?your|xxxx|\*\*\*\*|redacted|not[_-]?a[_-]?(?:real[_-]?)?secret|fake|sample|put[_-]?your",
];

/// Config-like files where generic `password=`-style assignments are looked for, and the
/// image config and history texts (`config:…`, `history:…`).
const CONFIG_PATHS: &str = r"(?i)^(?:config|history|label|env):|(?:^|/)(?:\.env(?:\.[\w.-]+)?|[\w.-]+\.env|\.npmrc|\.pypirc|\.pgpass|\.netrc|\.git-credentials|\.s3cfg|\.boto|credentials|Dockerfile[\w.-]*|docker-compose[\w.-]*|[\w.-]+\.(?:ini|cfg|conf|cnf|config|properties|prefs|ya?ml|toml|json|xml|tfvars|tf|hcl|env|sh|bash|zsh|ps1|plist|gradle|sbt|erb|j2|tpl|template|php|sql))$|(?:^|/)etc/[^/]+$";

/// Generic assignments are not looked for in installed packages (their test data and docs
/// are full of `password=` examples): the specific rules still apply there.
const NOT_PACKAGE_TREES: &str =
    r"(?:^|/)(?:node_modules|site-packages|dist-packages|vendor|gems|\.cargo/registry|go/pkg/mod)/";

pub(crate) const BUILTIN: &[Def] = &[
    // ---- AWS
    rule(
        "aws-access-key-id",
        "AWS Access Key ID",
        "AWS",
        Critical,
        &["akia", "asia", "abia", "acca", "a3t"],
        r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b",
    )
    .entropy(3.0),
    rule(
        "aws-secret-access-key",
        "AWS Secret Access Key",
        "AWS",
        Critical,
        &["secret_access_key", "secretaccesskey", "secret-access-key", "aws_secret", "aws-secret", "awssecret"],
        r#"(?i)(?:aws[_.-]?secret[_.-]?(?:access[_.-]?)?key|secret[_.-]?access[_.-]?key)["']?\s*(?::|=>|:=|=)\s*["']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
    )
    .entropy(4.0),
    // ---- Google
    rule(
        "gcp-service-account",
        "Google (GCP) service-account private key",
        "Google",
        Critical,
        &["service_account"],
        r#""private_key"\s*:\s*"(?P<secret>-----BEGIN[A-Z ]{0,20}PRIVATE KEY-----[^"]{64,})""#,
    )
    .priority(4).multiline(),
    rule(
        "gcp-api-key",
        "Google (GCP) API key",
        "Google",
        High,
        &["aiza"],
        concat!(r"\b(?P<secret>AIza[0-9A-Za-z_-]{35})", tok_end!()),
    )
    .entropy(3.5),
    // ---- Azure
    rule(
        "azure-connection-string",
        "Azure storage or service bus connection string key",
        "Azure",
        Critical,
        &["accountkey=", "sharedaccesskey="],
        r"(?i)(?:AccountKey|SharedAccessKey)=(?P<secret>[A-Za-z0-9+/]{86}==|[A-Za-z0-9+/]{43}=)",
    )
    .entropy(3.5),
    rule(
        "azure-storage-account-key",
        "Azure storage account key",
        "Azure",
        Critical,
        &["azure", "storage"],
        r#"(?i)(?:azure|storage)[\w.-]{0,30}key["']?\s*(?::|=>|:=|=)\s*["']?(?P<secret>[A-Za-z0-9+/]{86}==)"#,
    )
    .entropy(3.5),
    rule(
        "azure-ad-client-secret",
        "Azure AD client secret",
        "Azure",
        High,
        &["q~"],
        r#"(?:^|[\\'"`\s>=:(,)])(?P<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:$|[\\'"`\s<),])"#,
    )
    .entropy(3.0),
    // ---- GitHub
    rule(
        "github-pat",
        "GitHub personal access token (classic)",
        "GitHub",
        Critical,
        &["ghp_"],
        concat!(r"\b(?P<secret>ghp_[0-9A-Za-z]{36})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        "GitHub",
        Critical,
        &["github_pat_"],
        concat!(r"\b(?P<secret>github_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "github-oauth",
        "GitHub OAuth access token",
        "GitHub",
        Critical,
        &["gho_"],
        concat!(r"\b(?P<secret>gho_[0-9A-Za-z]{36})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "github-app-token",
        "GitHub App user-to-server or installation token",
        "GitHub",
        Critical,
        &["ghu_", "ghs_"],
        concat!(r"\b(?P<secret>gh[us]_[0-9A-Za-z]{36})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "github-refresh-token",
        "GitHub refresh token",
        "GitHub",
        Critical,
        &["ghr_"],
        concat!(r"\b(?P<secret>ghr_[0-9A-Za-z]{36,76})", tok_end!()),
    )
    .entropy(3.0),
    // ---- GitLab
    rule(
        "gitlab-pat",
        "GitLab personal access token",
        "GitLab",
        Critical,
        &["glpat-"],
        r"\b(?P<secret>glpat-[0-9A-Za-z_-]{20}(?:[0-9A-Za-z_-]{0,280}\.[0-9a-z]{9})?)(?:[^0-9A-Za-z_.-]|$)",
    )
    .entropy(3.0),
    rule(
        "gitlab-runner-registration-token",
        "GitLab runner registration token",
        "GitLab",
        High,
        &["gr1348941"],
        concat!(r"\b(?P<secret>GR1348941[0-9A-Za-z_-]{20})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "gitlab-runner-authentication-token",
        "GitLab runner authentication token",
        "GitLab",
        High,
        &["glrt-"],
        r"\b(?P<secret>glrt-[0-9A-Za-z_-]{20}(?:[0-9A-Za-z_-]{0,280}\.[0-9a-z]{9})?)(?:[^0-9A-Za-z_.-]|$)",
    )
    .entropy(3.0),
    rule(
        "gitlab-deploy-token",
        "GitLab deploy token",
        "GitLab",
        High,
        &["gldt-"],
        concat!(r"\b(?P<secret>gldt-[0-9A-Za-z_-]{20,})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "gitlab-cicd-job-token",
        "GitLab CI/CD job token",
        "GitLab",
        Medium,
        &["glcbt-"],
        concat!(r"\b(?P<secret>glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "gitlab-other-token",
        "GitLab feed, mail, agent, OAuth app, trigger, SCIM or feature-flag token",
        "GitLab",
        High,
        &["glft-", "glimt-", "glagent-", "gloas-", "glptt-", "glsoat-", "glffct-"],
        concat!(
            r"\b(?P<secret>(?:glft-[0-9A-Za-z_-]{20}|glimt-[0-9A-Za-z_-]{25}|glagent-[0-9A-Za-z_-]{50}|gloas-[0-9A-Za-z_-]{64}|glptt-[0-9a-f]{40}|glsoat-[0-9A-Za-z_-]{20}|glffct-[0-9A-Za-z_-]{20}))",
            tok_end!()
        ),
    )
    .entropy(3.0),
    rule(
        "gitlab-session-cookie",
        "GitLab session cookie",
        "GitLab",
        Medium,
        &["_gitlab_session="],
        r"_gitlab_session=(?P<secret>[0-9a-z]{32})\b",
    )
    .entropy(3.0),
    // ---- package registries
    rule(
        "npm-access-token",
        "npm access token",
        "npm",
        Critical,
        &["npm_"],
        concat!(r"\b(?P<secret>npm_[A-Za-z0-9]{36})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "npmrc-auth-token",
        "npm registry credential in .npmrc",
        "npm",
        High,
        &["_authtoken", "_auth", "_password"],
        r#"(?i)(?:_authToken|_auth|_password)\s*=\s*["']?(?P<secret>[^\s"'$]{8,})"#,
    )
    .path(r"(?i)(?:^|/)\.?npmrc$")
    .allow(PLACEHOLDERS)
    .priority(2),
    rule(
        "pypi-upload-token",
        "PyPI upload token",
        "PyPI",
        High,
        &["pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"],
        r"\b(?P<secret>pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,1000})",
    ),
    rule(
        "rubygems-api-token",
        "RubyGems API token",
        "RubyGems",
        High,
        &["rubygems_"],
        concat!(r"\b(?P<secret>rubygems_[a-f0-9]{48})", tok_end!()),
    ),
    rule(
        "nuget-api-key",
        "NuGet API key",
        "NuGet",
        High,
        &["oy2"],
        r"\b(?P<secret>oy2[a-z0-9]{43})\b",
    )
    .entropy(3.5),
    rule(
        "nuget-config-password",
        "Password in a NuGet.config file",
        "NuGet",
        High,
        &["<add key="],
        r#"(?i)<add\s+key="(?:ClearText)?Password"\s+value="(?P<secret>[^"]{6,})""#,
    )
    .path(r"(?i)(?:^|/)nuget\.config$")
    .allow(PLACEHOLDERS)
    .priority(2),
    rule(
        "docker-config-auth",
        "Registry credential in a Docker config (auths) or Kubernetes docker secret",
        "Docker",
        High,
        &["\"auth\"", "dockerconfigjson", "dockercfg"],
        r#"(?i)(?:"auth"\s*:\s*"(?P<secret>[A-Za-z0-9+/]{6,}={0,2})"|\.(?:dockerconfigjson|dockercfg)["']?\s*:\s*[|>]?-?\s*["']?(?P<secret2>e[wy][A-Za-z0-9+/]{20,}={0,2}))"#,
    )
    .check(Check::Base64Colon)
    .priority(2).multiline(),
    // ---- chat and SaaS
    rule(
        "slack-bot-token",
        "Slack bot token",
        "Slack",
        High,
        &["xoxb-"],
        r"\b(?P<secret>xoxb-[0-9]{8,14}-[0-9A-Za-z-]{18,80})\b",
    )
    .entropy(3.0),
    rule(
        "slack-user-token",
        "Slack user token",
        "Slack",
        High,
        &["xoxp-"],
        r"\b(?P<secret>xoxp-[0-9]{8,14}-[0-9A-Za-z-]{18,80})\b",
    )
    .entropy(3.0),
    rule(
        "slack-app-token",
        "Slack app-level token",
        "Slack",
        High,
        &["xapp-"],
        r"(?i)\b(?P<secret>xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)\b",
    )
    .entropy(3.0),
    rule(
        "slack-legacy-token",
        "Slack legacy, workspace, refresh or configuration token",
        "Slack",
        High,
        &["xoxa-", "xoxr-", "xoxo-", "xoxs-", "xoxe-", "xoxe.xox"],
        r"\b(?P<secret>(?:xox[aors]-(?:\d+-)*[0-9A-Za-z]{8,48}|xoxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{140,170}))\b",
    )
    .entropy(3.0),
    rule(
        "slack-web-hook",
        "Slack webhook URL",
        "Slack",
        Medium,
        &["hooks.slack.com"],
        r"(?i)(?P<secret>https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56})",
    ),
    rule(
        "stripe-secret-token",
        "Stripe live secret or restricted key",
        "Stripe",
        Critical,
        &["sk_live_", "rk_live_", "sk_prod_", "rk_prod_"],
        concat!(r"\b(?P<secret>[sr]k_(?:live|prod)_[0-9A-Za-z]{10,99})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "stripe-test-secret-token",
        "Stripe test-mode secret or restricted key",
        "Stripe",
        Low,
        &["sk_test_", "rk_test_"],
        concat!(r"\b(?P<secret>[sr]k_test_[0-9A-Za-z]{10,99})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "stripe-publishable-token",
        "Stripe publishable key",
        "Stripe",
        Low,
        &["pk_live_", "pk_test_"],
        concat!(r"\b(?P<secret>pk_(?:live|test)_[0-9A-Za-z]{10,99})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "twilio-api-key",
        "Twilio API key",
        "Twilio",
        High,
        &["twilio"],
        r"\b(?P<secret>SK[0-9a-fA-F]{32})\b",
    )
    .entropy(3.0).multiline(),
    rule(
        "sendgrid-api-token",
        "SendGrid API key",
        "SendGrid",
        High,
        &["sg."],
        concat!(r"\b(?P<secret>SG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43})", tok_end!()),
    )
    .entropy(3.0),
    rule(
        "shopify-token",
        "Shopify access token or shared secret",
        "Shopify",
        High,
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"\b(?P<secret>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
    )
    .entropy(3.0),
    // ---- private keys (one matcher; the kind and encryption pick the rule)
    rule(
        "private-key",
        "Asymmetric private key (PEM: RSA, EC, DSA, PKCS#8)",
        "AsymmetricPrivateKey",
        High,
        &["-----begin"],
        r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----",
    )
    .check(Check::PemKey)
    .priority(2),
    rule(
        "openssh-private-key",
        "OpenSSH private key (not encrypted)",
        "AsymmetricPrivateKey",
        High,
        &[],
        "",
    ),
    rule(
        "pgp-private-key",
        "PGP private key block",
        "AsymmetricPrivateKey",
        High,
        &[],
        "",
    ),
    rule(
        "encrypted-private-key",
        "Encrypted private key (PEM ENCRYPTED, Proc-Type 4,ENCRYPTED, OpenSSH with a cipher)",
        "AsymmetricPrivateKey",
        Medium,
        &[],
        "",
    ),
    rule(
        "kubeconfig-client-key",
        "Kubernetes client private key (client-key-data)",
        "Kubernetes",
        High,
        &["client-key-data"],
        r#"client-key-data["']?\s*:\s*["']?(?P<secret>LS0tLS1CRUdJTi[A-Za-z0-9+/=]{60,})"#,
    )
    .priority(2),
    rule(
        "kubeconfig-token",
        "Kubernetes bearer token in a kubeconfig",
        "Kubernetes",
        High,
        &["token"],
        r#"(?m)^[ \t-]*(?:token|id-token|refresh-token)["']?\s*:\s*["']?(?P<secret>[A-Za-z0-9._~+/=-]{20,})"#,
    )
    .path(r"(?i)(?:^|/)(?:\.kube/config|kubeconfig[\w.-]*|[\w.-]+\.kubeconfig|kubelet\.conf|admin\.conf)$")
    .entropy(3.0)
    .allow(PLACEHOLDERS)
    .priority(2),
    // ---- JWT
    rule(
        "jwt-token",
        "JSON Web Token",
        "JWT",
        Medium,
        &[".eyj"],
        r"\b(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{0,1000})",
    )
    .check(Check::Jwt),
    // ---- credentials in well-known files and URLs
    rule(
        "netrc-password",
        "Password in a .netrc file",
        "Credentials",
        High,
        &["password"],
        r"(?:^|\s)password\s+(?P<secret>\S{1,200})",
    )
    .path(r"(?:^|/)[._]netrc$")
    .allow(PLACEHOLDERS)
    .priority(2),
    rule(
        "pgpass-password",
        "Password in a .pgpass file",
        "Credentials",
        High,
        &[],
        r"(?m)^[^:#\n]*:[^:\n]*:[^:\n]*:[^:\n]*:(?P<secret>[^\n\r]{1,200})$",
    )
    .path(r"(?:^|/)\.pgpass$")
    .allow(PLACEHOLDERS)
    .priority(2),
    rule(
        "database-url-password",
        "Database or broker URL with a password",
        "Credentials",
        High,
        &["postgres", "mysql", "mariadb", "mongodb", "redis", "amqp"],
        r#"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb|rediss?|amqps?)(?:\+[a-z0-9]{1,20})?://[^:@/\s"'<>]{0,64}:(?P<secret>[^@/\s"'<>]{1,128})@[A-Za-z0-9._\[\]-]{1,255}"#,
    )
    .allow(PLACEHOLDERS)
    .priority(2),
    rule(
        "generic-secret",
        "Password, secret or API key assigned in a configuration file",
        "Generic",
        Medium,
        &["pass", "pwd", "secret", "token", "api_key", "apikey", "api-key", "access_key", "accesskey", "private_key", "auth_key", "credential"],
        r#"(?i)(?:^|[^A-Za-z0-9_.-])(?P<name>[A-Za-z0-9_.-]{0,40}(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|auth[_.-]?key|credentials?)[A-Za-z0-9_.-]{0,20})["']?[ \t]*(?::=|=>|:|=)[ \t]*["']?(?P<secret>[^\s"'`;,<>=(){}\[\]][^\s"'`;,<>]{7,199})"#,
    )
    .path(CONFIG_PATHS)
    .not_path(NOT_PACKAGE_TREES)
    .entropy(3.0)
    .allow(PLACEHOLDERS)
    .check(Check::GenericName)
    .priority(1),
    // ---- more vendors with distinctive token prefixes (Trivy and gitleaks parity)
    rule("age-secret-key", "age secret key", "Age", High, &["age-secret-key-1"], r"(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})"),
    rule("hugging-face-access-token", "Hugging Face access token", "HuggingFace", High, &["hf_", "api_org_"], concat!(r"\b(?P<secret>(?:hf|api_org)_[A-Za-z0-9]{34,40})", tok_end!())).entropy(3.0),
    rule("openai-api-key", "OpenAI API key", "OpenAI", Critical, &["t3blbkfj"], concat!(r"\b(?P<secret>sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74})", tok_end!())).entropy(3.0),
    rule("anthropic-api-key", "Anthropic API key", "Anthropic", Critical, &["sk-ant-"], concat!(r"\b(?P<secret>sk-ant-(?:api|admin)0\d-[A-Za-z0-9_-]{80,100})", tok_end!())).entropy(3.0),
    rule("databricks-api-token", "Databricks API token", "Databricks", Medium, &["dapi"], r"\b(?P<secret>dapi[a-f0-9]{32}(?:-\d)?)\b").entropy(3.0),
    rule("digitalocean-token", "DigitalOcean personal, OAuth or refresh token", "DigitalOcean", High, &["dop_v1_", "doo_v1_", "dor_v1_"], r"\b(?P<secret>do[por]_v1_[a-f0-9]{64})\b"),
    rule("doppler-api-token", "Doppler API token", "Doppler", Medium, &["dp.pt."], r"(?P<secret>dp\.pt\.[A-Za-z0-9]{43})\b"),
    rule("dynatrace-api-token", "Dynatrace API token", "Dynatrace", Medium, &["dt0c01."], r"(?P<secret>dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64})\b"),
    rule("easypost-api-token", "EasyPost API token", "EasyPost", Low, &["ezak", "eztk"], r"\b(?P<secret>EZ[AT]K[A-Za-z0-9]{54})\b").entropy(3.0),
    rule("flutterwave-key", "Flutterwave secret, public or encryption key", "Flutterwave", Medium, &["flwseck_test", "flwpubk_test"], r"\b(?P<secret>FLW(?:SEC|PUB)K_TEST-(?:[a-hA-H0-9]{32}-X|[a-hA-H0-9]{12}))"),
    rule("frameio-api-token", "Frame.io API token", "Frameio", Low, &["fio-u-"], r"(?P<secret>fio-u-[A-Za-z0-9_=-]{64})"),
    rule("grafana-api-token", "Grafana API key, cloud or service account token", "Grafana", Medium, &["eyjrijoi", "glc_", "glsa_"], concat!(r"\b(?P<secret>eyJrIjoi[A-Za-z0-9]{70,400}={0,3}|glc_[A-Za-z0-9+/]{32,400}={0,3}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})", r"(?:[^A-Za-z0-9+/=_-]|$)")).entropy(3.0),
    rule("hashicorp-tf-api-token", "HashiCorp Terraform user/org API token", "HashiCorp", Medium, &["atlasv1"], r"\b(?P<secret>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})").entropy(3.0),
    rule("vault-token", "HashiCorp Vault service or batch token", "HashiCorp", High, &["hvs.", "hvb."], concat!(r"\b(?P<secret>hvs\.[A-Za-z0-9_-]{90,120}|hvb\.[A-Za-z0-9_-]{138,300})", tok_end!())).entropy(3.5),
    rule("heroku-api-key-v2", "Heroku API key", "Heroku", High, &["hrku-aa"], concat!(r"\b(?P<secret>HRKU-AA[0-9A-Za-z_-]{58})", tok_end!())).entropy(3.5),
    rule("linear-api-token", "Linear API key", "Linear", Medium, &["lin_api_"], r"(?P<secret>lin_api_[A-Za-z0-9]{40})\b"),
    rule("new-relic-api-key", "New Relic user API key, insert key or browser token", "NewRelic", Medium, &["nrak-", "nrii-", "nrjs-"], r"\b(?P<secret>NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9-]{32}|NRJS-[a-f0-9]{19})\b"),
    rule("planetscale-token", "PlanetScale password, API or OAuth token", "Planetscale", Medium, &["pscale_pw_", "pscale_tkn_", "pscale_oauth_"], r"\b(?P<secret>pscale_(?:pw|tkn|oauth)_[A-Za-z0-9_=.-]{32,64})").entropy(3.0),
    rule("private-packagist-token", "Private Packagist token", "Private Packagist", High, &["packagist_"], r"\b(?P<secret>packagist_[ou][ru]t_[a-fA-F0-9]{68})\b"),
    rule("postman-api-token", "Postman API token", "Postman", Medium, &["pmak-"], r"\b(?P<secret>PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34})\b"),
    rule("pulumi-api-token", "Pulumi API token", "Pulumi", High, &["pul-"], r"\b(?P<secret>pul-[a-f0-9]{40})\b"),
    rule("sendinblue-api-token", "Sendinblue (Brevo) API token", "Sendinblue", Low, &["xkeysib-"], r"\b(?P<secret>xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})\b"),
    rule("shippo-api-token", "Shippo API token", "Shippo", Low, &["shippo_"], r"\b(?P<secret>shippo_(?:live|test)_[a-fA-F0-9]{40})\b"),
    rule("clojars-api-token", "Clojars API token", "Clojars", Medium, &["clojars_"], r"(?i)\b(?P<secret>CLOJARS_[a-z0-9]{60})\b"),
    rule("adobe-client-secret", "Adobe client secret", "Adobe", Low, &["p8e-"], r"\b(?P<secret>p8e-[A-Za-z0-9]{32})\b").entropy(3.0),
    rule("alibaba-access-key-id", "Alibaba Cloud AccessKey ID", "Alibaba", High, &["ltai"], r"\b(?P<secret>LTAI[A-Za-z0-9]{20})\b").entropy(3.0),
    rule("1password-token", "1Password service account token or secret key", "1Password", High, &["ops_eyj", "a3-"], r"\b(?P<secret>ops_eyJ[A-Za-z0-9+/]{250,2000}={0,3}|A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})").entropy(3.8),
    rule("artifactory-token", "JFrog Artifactory API key or reference token", "JFrog", High, &["akcp", "cmvmd"], r"\b(?P<secret>AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59})\b").entropy(4.0),
    rule("notion-api-token", "Notion API token", "Notion", High, &["ntn_"], r"\b(?P<secret>ntn_[0-9]{11}[A-Za-z0-9]{35})\b").entropy(3.5),
    rule("perplexity-api-key", "Perplexity API key", "Perplexity", High, &["pplx-"], r"\b(?P<secret>pplx-[A-Za-z0-9]{48})\b").entropy(3.5),
    rule("prefect-api-token", "Prefect API token", "Prefect", Medium, &["pnu_"], r"\b(?P<secret>pnu_[A-Za-z0-9]{36})\b").entropy(3.0),
    rule("readme-api-token", "ReadMe API token", "ReadMe", Medium, &["rdme_"], r"\b(?P<secret>rdme_[a-z0-9]{70})\b"),
    rule("scalingo-api-token", "Scalingo API token", "Scalingo", Medium, &["tk-us-"], concat!(r"\b(?P<secret>tk-us-[A-Za-z0-9_-]{48})", tok_end!())),
    rule("sentry-token", "Sentry user or organization token", "Sentry", High, &["sntryu_", "sntrys_"], r"\b(?P<secret>sntryu_[a-f0-9]{64}|sntrys_eyJ[A-Za-z0-9+/=_]{50,400})").entropy(3.5),
    rule("infracost-api-token", "Infracost API token", "Infracost", Medium, &["ico-"], r"\b(?P<secret>ico-[A-Za-z0-9]{32})\b").entropy(3.0),
    rule("square-access-token", "Square access token", "Square", High, &["sq0atp-", "sq0csp-"], concat!(r"\b(?P<secret>sq0(?:atp|csp)-[A-Za-z0-9_-]{22,60})", tok_end!())),
    rule("facebook-page-access-token", "Facebook page access token", "Facebook", Medium, &["eaam", "eaac"], r"\b(?P<secret>EAA[MC][A-Za-z0-9]{100,400})\b").entropy(4.0),
    rule("mailchimp-api-key", "Mailchimp API key", "Mailchimp", Medium, &["mailchimp"], r"\b(?P<secret>[a-f0-9]{32}-us\d{1,2})\b").multiline(),
    rule("mapbox-api-token", "Mapbox access token", "Mapbox", Medium, &["pk.eyj1", "sk.eyj1"], r"\b(?P<secret>[ps]k\.eyJ1Ijoi[A-Za-z0-9_-]{20,200}\.[A-Za-z0-9_-]{22})\b"),
    rule("telegram-bot-api-token", "Telegram bot API token", "Telegram", Medium, &["telegr"], concat!(r"\b(?P<secret>[0-9]{5,16}:A[A-Za-z0-9_-]{34})", tok_end!())).multiline(),
    rule("microsoft-teams-webhook", "Microsoft Teams incoming webhook", "Microsoft", Medium, &["webhook.office.com"], r"(?i)(?P<secret>https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[a-z0-9-]{36}@[a-z0-9-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9-]{36})"),
    rule("cloudflare-origin-ca-key", "Cloudflare Origin CA key", "Cloudflare", Medium, &["v1.0-"], r"\b(?P<secret>v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b"),
    rule("openshift-user-token", "OpenShift user token", "OpenShift", High, &["sha256~"], concat!(r"\b(?P<secret>sha256~[A-Za-z0-9_-]{43})", tok_end!())).entropy(3.5),
    rule("sourcegraph-access-token", "Sourcegraph access token", "Sourcegraph", Medium, &["sgp_"], r"\b(?P<secret>sgp_(?:[a-fA-F0-9]{16}|local)_[a-fA-F0-9]{40}|sgp_[a-fA-F0-9]{40})\b").entropy(3.0),
    rule("flyio-access-token", "Fly.io access token", "Flyio", High, &["fo1_", "fm1", "fm2_"], r"\b(?P<secret>fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,2000}={0,3})").entropy(4.0),
    rule("harness-api-key", "Harness personal or service account token", "Harness", High, &["pat.", "sat."], r"\b(?P<secret>[ps]at\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20})\b"),
    rule("maxmind-license-key", "MaxMind license key", "MaxMind", Medium, &["_mmk"], r"\b(?P<secret>[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk)\b").entropy(4.0),
    rule("duffel-api-token", "Duffel API token", "Duffel", Low, &["duffel_"], r"\b(?P<secret>duffel_(?:test|live)_[A-Za-z0-9_=-]{43})"),
    rule("settlemint-token", "SettleMint access token", "SettleMint", Medium, &["sm_aat_", "sm_pat_", "sm_sat_"], r"\b(?P<secret>sm_[aps]at_[A-Za-z0-9]{16})\b").entropy(3.0),
];

/// A built-in allow rule: documented example values, and places whose contents are other
/// people's test data or documentation.
pub(crate) struct AllowDef {
    pub id: &'static str,
    pub description: &'static str,
    pub path: Option<&'static str>,
    pub regex: Option<&'static str>,
}

pub(crate) const BUILTIN_ALLOW: &[AllowDef] = &[
    AllowDef {
        id: "documented-examples",
        description: "example credentials published in vendors' documentation (AWS's AKIAIOSFODNN7EXAMPLE and its secret key, the Azurite storage key, Stripe's docs test keys, jwt.io's sample token) and any value containing EXAMPLE",
        path: None,
        regex: Some(
            r"EXAMPLE|Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==|sk_test_4eC39HqLyjWDarjtT1zdp7dc|pk_test_TYooMQauvdEDq54NiTphI7jx|SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c|ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ),
    },
    AllowDef {
        id: "package-test-data",
        description: "test, fixture and example directories inside installed packages (node_modules, site-packages, dist-packages, gems, vendor, Go and Cargo caches): their keys are test vectors",
        path: Some(
            r"(?i)(?:^|/)(?:node_modules|site-packages|dist-packages|gems|vendor|\.cargo/registry|go/pkg/mod)/(?:.*/)?(?:tests?|__tests__|testdata|test_data|test-data|fixtures?|__fixtures__|specs?|examples?|samples?|selftest|testing|test_utils|mocks?|__mocks__)/",
        ),
        regex: None,
    },
    AllowDef {
        id: "package-docs",
        description: "documentation shipped by packages: /usr/share/doc, man and info pages, and Markdown/reStructuredText files inside installed packages",
        path: Some(
            r"(?i)(?:^|/)usr/share/(?:doc|man|info|help)/|(?:^|/)(?:node_modules|site-packages|dist-packages|gems)/.*\.(?:md|markdown|rst|txt)$",
        ),
        regex: None,
    },
];

/// The non-secret endings of an assignment's name for the generic rule.
pub(crate) const GENERIC_NAME_NOT_SECRET: &str = r"(?i)(?:^|[_.-])(?:file|path|dir|url|uri|endpoint|name|id|length|len|size|type|env|var|field|prompt|hint|policy|regex|pattern|header|param|mode|method|min|max|count|format|algorithm|alg|hash|expires?|expiry|ttl|timeout|enabled|required|rule|rules|store|storage|manager|provider|class|handler|ref|version|label|title|description|placeholder|input|reset|confirm|confirmation|change|changed|policy|strength|complexity|validation|validator|hint)$|^(?:keyword|keywords|bypass|compass|passenger|passthrough|password_hash|passwd_file)$";
