"""Deploy the model to App Service: the scoring image on the Linux web app WEBAPP_DEPLOYMENT_NAME,
served at https://<name>.azurewebsites.net/score.

The IaC (environment_setup) creates the web app, its plan and its system-assigned identity with
AcrPull on the registry; this points the app at the new image, pulled with that identity
(`acrUseManagedIdentityCreds`): no registry password anywhere, the registry's admin user stays
disabled. The template repeats the IaC's settings of the app, so a deploy never weakens them.

Every scored request's inputs and outputs are appended to the workspace's file share, mounted at
/mnt/collected (ml_service/deploy/collected_logs.py), for the drift-retraining pipeline.

No anonymous requests: App Service authentication answers 401 to any request without an Entra ID
token for the app registration WEBAPP_AUTH_CLIENT_ID (audience api://<client id>). The IaC creates
the app with authentication on and no identity provider (every request refused); this deploy names
the provider. Callers get a token with DefaultAzureCredential, as the smoke test does.

Usage: python -m ml_service.deploy.webapp --model-json model.json
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ml_service.deploy import collected_logs
from ml_service.deploy.arm import deploy_template, resource_id, resource_id_call, template
from ml_service.deploy.model import RegisteredModel, deploy_main
from ml_service.deploy.scoring_image import PORT, Runner, build_and_push, image_build_entity, run_command
from ml_service.settings import Settings, load_settings
from ml_service.workspace import workspace_client

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

    from ml_service.deploy.endpoints import ScoringService

# Azure ML cannot monitor this target: its scoring container writes collected logs, a scheduled
# pipeline monitors them (ml_service/monitoring.py).
MONITORED_FROM_LOGS = True
API_VERSION = "2023-12-01"
INSIGHTS_API_VERSION = "2020-02-02"
# The tenant's Entra ID v2.0 issuer, from the deployment's own cloud and subscription.
ISSUER = "[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, subscription().tenantId)]"


def plan_name(settings: Settings) -> str:
    """The App Service plan, named as environment_setup creates it (<base>-AML-ASP)."""
    return f"{settings.base_name}-AML-ASP"


def application_insights_name(settings: Settings) -> str:
    """The workspace's Application Insights, named as environment_setup creates it (<base>-AML-AI)."""
    return f"{settings.base_name}-AML-AI"


def scoring_uri(settings: Settings) -> str:
    return f"https://{settings.webapp_deployment_name}.azurewebsites.net/score"


def token_scope(settings: Settings) -> str:
    """What a caller asks DefaultAzureCredential for to call the web app."""
    return f"api://{settings.webapp_auth_client_id}/.default"


def authentication(settings: Settings) -> dict[str, Any]:
    """App Service authentication: an Entra ID token for the app registration, else 401."""
    client_id = settings.webapp_auth_client_id
    return {
        "type": "Microsoft.Web/sites/config",
        "apiVersion": API_VERSION,
        "name": f"{settings.webapp_deployment_name}/authsettingsV2",
        "dependsOn": [resource_id("Microsoft.Web/sites", settings.webapp_deployment_name)],
        "properties": {
            "platform": {"enabled": True},
            "globalValidation": {"requireAuthentication": True, "unauthenticatedClientAction": "Return401"},
            "identityProviders": {
                "azureActiveDirectory": {
                    "enabled": True,
                    "registration": {"clientId": client_id, "openIdIssuer": ISSUER},
                    "validation": {"allowedAudiences": [f"api://{client_id}", client_id]},
                }
            },
            "login": {"tokenStore": {"enabled": False}},
        },
    }


def web_app(settings: Settings, image: str) -> dict[str, Any]:
    """The ARM template of the web app running `image`, pulled with the app's own identity."""
    insights = resource_id_call("Microsoft.Insights/components", application_insights_name(settings))
    site = {
        "type": "Microsoft.Web/sites",
        "apiVersion": API_VERSION,
        "name": settings.webapp_deployment_name,
        "location": settings.location,
        "kind": "app,linux,container",
        "identity": {"type": "SystemAssigned"},  # the identity the IaC gave AcrPull; a PUT keeps it
        "tags": {"ModelImage": image},
        "properties": {
            "serverFarmId": resource_id("Microsoft.Web/serverfarms", plan_name(settings)),
            "httpsOnly": True,
            "clientAffinityEnabled": False,
            "siteConfig": {
                "linuxFxVersion": f"DOCKER|{image}",
                "acrUseManagedIdentityCreds": True,
                "alwaysOn": True,
                "minTlsVersion": "1.2",
                "scmMinTlsVersion": "1.2",
                "ftpsState": "Disabled",
                "http20Enabled": True,
                "httpLoggingEnabled": True,
                "detailedErrorLoggingEnabled": True,
                "requestTracingEnabled": True,
                "healthCheckPath": "/",
                "azureStorageAccounts": storage_mount(),
                "appSettings": [
                    {"name": "WEBSITES_PORT", "value": str(PORT)},
                    {"name": "WEBSITES_ENABLE_APP_SERVICE_STORAGE", "value": "false"},
                    {"name": "SCORING_COLLECT_LOG", "value": collected_logs.log_path("webapp")},
                    {
                        "name": "APPLICATIONINSIGHTS_CONNECTION_STRING",
                        "value": f"[reference({insights}, '{INSIGHTS_API_VERSION}').ConnectionString]",
                    },
                ],
            },
        },
    }
    outputs = {"scoringUri": {"type": "string", "value": scoring_uri(settings)}}
    return template([site, authentication(settings)], outputs, collected_logs.template_parameters())


def storage_mount() -> dict[str, Any]:
    """The workspace's file share at /mnt/collected, where the scoring script collects."""
    return {
        "collected": {
            "type": "AzureFiles",
            "accountName": f"[parameters('{collected_logs.ACCOUNT}')]",
            "shareName": f"[parameters('{collected_logs.SHARE}')]",
            "mountPath": collected_logs.MOUNT,
            "accessKey": collected_logs.account_key(),
        }
    }


def deploy_model(ml_client: MLClient, settings: Settings, model: RegisteredModel, runner: Runner = run_command) -> str:
    """Build and push the image, then create or update the web app; returns the scoring URI."""
    image = build_and_push(ml_client, settings, model, runner)
    share = collected_logs.parameters(ml_client)
    deploy_template(settings, f"{settings.webapp_deployment_name}-webapp", web_app(settings, image), runner, share)
    print(f"Web app {settings.webapp_deployment_name} runs {image}: {scoring_uri(settings)}")
    return scoring_uri(settings)


def service(settings: Settings) -> ScoringService:
    """Where the smoke test reaches the web app, with an Entra ID token for its app registration."""
    from ml_service.deploy.endpoints import ScoringService, aad_token

    return ScoringService(scoring_uri(settings), aad_token(token_scope(settings)))


def dry_run(settings: Settings, model: RegisteredModel) -> Iterator[tuple[str, Any]]:
    """The image build and the web app, as `make aml-dry-run` writes them."""
    yield image_build_entity("webapp", settings, model)
    from ml_service.deploy.scoring_image import image

    yield "webapp/web_app.json", web_app(settings, image(settings, model))


def deploy(model: RegisteredModel, args: argparse.Namespace | None = None) -> int:
    settings = load_settings()
    deploy_model(workspace_client(settings), settings, model)
    return 0


def main(argv: list[str] | None = None) -> int:
    return deploy_main(__doc__.splitlines()[0], deploy, argv)


if __name__ == "__main__":
    raise SystemExit(main())
