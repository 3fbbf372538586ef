"""Azure App Service: a Linux Web App for containers that runs the scoring image and answers 401
to callers without an Entra ID token."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mlops_scaffold.conditions import Contains
from mlops_scaffold.model import (
    SCORING_IMAGE,
    SCORING_IMAGE_WORDS,
    SERVES,
    Derived,
    Entity,
    Finding,
    Need,
    Question,
    Traits,
    Variable,
    hcl_block,
    line_of,
)
from mlops_scaffold.rules import DerivedName, Rule

ORDER = 30
CHOSEN = Contains("deployment_targets", "webapp")

TRAITS = Traits(
    (
        "webapp",
        "web app",
        "web_app",
        "App Service",
        "app_service",
        "Microsoft.Web",
        "serverfarms",
        *SCORING_IMAGE_WORDS,
    ),
    flags=frozenset({SERVES, SCORING_IMAGE}),
    files=("ml_service/deploy/webapp.py", "ml_service/variables/webapp.json", "tests/test_ml_service_webapp.py"),
    title="Azure App Service",
    short_title="App Service",
)

NAME = Rule(
    "^[a-zA-Z0-9][-a-zA-Z0-9]{0,58}[a-zA-Z0-9]$",
    "be 2–60 letters, digits or '-', not starting or ending with '-'",
)

QUESTIONS = (
    Question(
        "webapp_deployment_name",
        "App Service (Web App for containers) name; globally unique",
        "str",
        Derived("{{ base_name | lower }}-scoring", lambda a: f"{str(a['base_name']).lower()}-scoring"),
        when=CHOSEN,
        rule=NAME,
        per_environment=True,  # a host name under azurewebsites.net: unique worldwide
    ),
)

DERIVED_NAMES = (
    DerivedName(
        "app_service_plan_name",
        "-AML-ASP",
        False,
        Rule("^[-a-zA-Z0-9]{1,60}$", "be 1–60 alphanumerics/-"),
        "App Service plan of the web app",
    ),
)

VARIABLES = (
    Variable(
        "WEBAPP_DEPLOYMENT_NAME",
        "{webapp_deployment_name}",
        "App Service that runs the scoring image",
        when=CHOSEN,
    ),
    Variable(
        "WEBAPP_AUTH_CLIENT_ID",
        "",
        "Client ID of the Entra ID app registration the web app accepts tokens for",
        when=CHOSEN,
        own_per_environment=True,  # each environment's web app accepts its own app's tokens
    ),
)

PRINCIPALS = (
    Entity("webapp", "web app", "Microsoft.Web/sites", "webAppName", "azurerm_linux_web_app", "web_app_name"),
)

NEEDS = (Need("webapp", "registry", "AcrPull", "pull the scoring image (acrUseManagedIdentityCreds)", CHOSEN),)

ARM_SECURE_DEFAULTS = (
    ("Microsoft.Web/sites", "properties.httpsOnly", True, "must be HTTPS only"),
    ("Microsoft.Web/sites", "properties.siteConfig.minTlsVersion", "1.2", "minimum TLS must be 1.2"),
)
TF_SECURE_DEFAULTS = (
    ("azurerm_linux_web_app", "https_only", True, "must be HTTPS only"),
    ("azurerm_linux_web_app", "site_config.minimum_tls_version", "1.2", "minimum TLS must be 1.2"),
)
ARM_TO_VARIABLE = {"webAppName": "WEBAPP_DEPLOYMENT_NAME"}
TF_TO_VARIABLE = {"web_app_name": "WEBAPP_DEPLOYMENT_NAME"}

# --- exposure: the web app answers 401 without a token, in the IaC and in the deploy template ---

ARM_TEMPLATE = "environment_setup/arm-templates/cloud-environment.json"
TF_MAIN = "environment_setup/tf-templates/main.tf"
DEPLOY_MODULE = "ml_service/deploy/webapp.py"
REFUSING = {"Return401", "Return403", "RedirectToLoginPage"}


def _refuses(properties: Any) -> bool:
    validation = (properties or {}).get("globalValidation") or {}
    return validation.get("requireAuthentication") is True and validation.get("unauthenticatedClientAction") in REFUSING


def arm_web_app_auth(project: Path) -> list[Finding]:
    """Every Microsoft.Web/sites of the ARM template has authsettingsV2 refusing anonymous callers."""
    path = project / ARM_TEMPLATE
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    try:
        resources = json.loads(text).get("resources", [])
    except ValueError:
        return []  # the IaC checks report a template that does not parse
    sites = [r for r in resources if isinstance(r, dict) and r.get("type") == "Microsoft.Web/sites"]
    top_level = [r for r in resources if isinstance(r, dict) and r.get("type") == "Microsoft.Web/sites/config"]
    findings = []
    for site in sites:
        configs = [r for r in site.get("resources", []) if isinstance(r, dict) and r.get("type") == "config"]
        auth = [r for r in configs + top_level if str(r.get("name", "")).endswith("authsettingsV2")]
        if not any(_refuses(r.get("properties")) for r in auth):
            line = line_of(text, '"type": "Microsoft.Web/sites"')
            message = "the web app serves /score anonymously: add authsettingsV2 requiring authentication (401)"
            findings.append(Finding(ARM_TEMPLATE, line, message))
    return findings


def tf_web_app_auth(project: Path) -> list[Finding]:
    """Every azurerm_*_web_app of main.tf has auth_settings_v2 refusing anonymous callers."""
    path = project / TF_MAIN
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    findings = []
    for match in re.finditer(r'resource\s+"azurerm_(?:linux|windows)_web_app"\s+"\w+"', text):
        block = hcl_block(text, match.end())
        auth = re.search(r"auth_settings_v2\s*\{", block)
        settings = hcl_block(block, auth.start()) if auth else ""
        refuses = all(
            re.search(pattern, settings)
            for pattern in (r"auth_enabled\s*=\s*true", r"require_authentication\s*=\s*true")
        ) and re.search(r'unauthenticated_action\s*=\s*"(Return401|Return403|RedirectToLoginPage)"', settings)
        if not refuses:
            message = "the web app serves /score anonymously: add auth_settings_v2 requiring authentication (401)"
            findings.append(Finding(TF_MAIN, line_of(text, match.group(0)), message))
    return findings


def deploy_template_auth(project: Path) -> list[Finding]:
    """The deploy module's site template requires authentication."""
    path = project / DEPLOY_MODULE
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    if re.search(r"""["']requireAuthentication["']\s*:\s*True""", text) and "Return401" in text:
        return []
    message = "the deploy template does not require authentication: the web app would serve /score anonymously"
    return [Finding(DEPLOY_MODULE, line_of(text, "def web_app"), message)]


EXPOSURE_CHECKS = (arm_web_app_auth, tf_web_app_auth, deploy_template_auth)
EXPOSURE_READS = (ARM_TEMPLATE, TF_MAIN, DEPLOY_MODULE)
