"""The engine's OpenStack credentials: a clouds.yaml entry (``OS_CLOUD``) handed to the provider as ``OS_*`` variables.

Why not ``OS_CLOUD`` itself: once a cloud name is set, the provider (gophercloud/utils ``terraform/auth/config.go``
and ``openstack/clientconfig.AuthOptions``, which also reads ``OS_CLOUD`` from the environment) takes every
credential from the entry and ignores a provider's ``tenant_name``. The providers that act inside a tenant's
project (its server groups, its Swift account) then acted in the entry's project. So govctl reads the entry itself
(openstacksdk's loader: the same files, ``secure.yaml`` and profiles), gives the engine its values as ``OS_*``
variables and clears ``OS_CLOUD``; the platform providers name the entry explicitly (``cloud``, as before: their
settings in the state are unchanged), and the tenant-scoped providers authenticate with the variables and their
own project.
"""
from __future__ import annotations

import os

from govctl.stacks.errors import CredentialsInvalid

ENTRY_VAR = "GOVCTL_OS_CLOUD"  # the entry's name, for the program, once OS_CLOUD is cleared for the engine

# clouds.yaml auth keys -> the provider's variables (terraform-provider-openstack's provider schema)
AUTH_VARS = {"auth_url": "OS_AUTH_URL", "username": "OS_USERNAME", "user_id": "OS_USER_ID",
             "password": "OS_PASSWORD", "token": "OS_TOKEN",
             "project_name": "OS_PROJECT_NAME", "project_id": "OS_PROJECT_ID",
             "user_domain_name": "OS_USER_DOMAIN_NAME", "user_domain_id": "OS_USER_DOMAIN_ID",
             "project_domain_name": "OS_PROJECT_DOMAIN_NAME", "project_domain_id": "OS_PROJECT_DOMAIN_ID",
             "domain_name": "OS_DOMAIN_NAME", "domain_id": "OS_DOMAIN_ID", "default_domain": "OS_DEFAULT_DOMAIN",
             "application_credential_id": "OS_APPLICATION_CREDENTIAL_ID",
             "application_credential_name": "OS_APPLICATION_CREDENTIAL_NAME",
             "application_credential_secret": "OS_APPLICATION_CREDENTIAL_SECRET"}


def entry() -> str | None:
    """The clouds.yaml entry the credentials come from: in the engine, the one govctl read; elsewhere ``OS_CLOUD``."""
    return os.environ.get(ENTRY_VAR) or os.environ.get("OS_CLOUD") or None


def engine_env() -> dict[str, str]:
    """What the engine's environment gets from the clouds.yaml entry (nothing without ``OS_CLOUD``).

    Every ``OS_*`` credential variable is set, the entry's value or empty, so that a stray variable of another
    cloud in the caller's shell never mixes with the entry."""
    name = os.environ.get("OS_CLOUD")
    if not name:
        return {}
    from openstack import config as os_config
    from openstack import exceptions as os_exc

    shown = os.environ.get("OS_CLIENT_CONFIG_FILE") or "clouds.yaml"
    try:
        region = os_config.OpenStackConfig().get_one(cloud=name)
    except os_exc.ConfigException as exc:
        raise CredentialsInvalid(f"OS_CLOUD={name}: {exc} (looked in {shown}; set OS_CLIENT_CONFIG_FILE)") from None
    except Exception as exc:  # yaml.YAMLError and friends: the file itself is broken
        raise CredentialsInvalid(f"{shown}: cannot read clouds.yaml: {type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    auth = region.config.get("auth") or {}
    if not auth.get("auth_url"):
        raise CredentialsInvalid(f"{shown}: cloud '{name}' has no auth.auth_url")
    out = {var: str(auth.get(key) or "") for key, var in AUTH_VARS.items()}
    config = region.config
    out["OS_CACERT"] = str(config.get("cacert") or "")
    out["OS_CERT"] = str(config.get("cert") or "")
    out["OS_KEY"] = str(config.get("key") or "")
    # These two the bridge itself reads into the providers' settings: set only when the entry says so.
    if config.get("verify") is False:
        out["OS_INSECURE"] = "true"
    if config.get("interface"):
        out["OS_ENDPOINT_TYPE"] = str(config["interface"])
    out["OS_CLOUD"] = ""
    out[ENTRY_VAR] = name
    return out
