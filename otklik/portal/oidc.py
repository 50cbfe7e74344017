"""Sign-in through an OpenID Connect provider (an ESIA-like identity provider) with Authlib:
discovery document, authorization code with PKCE, ID token checked against the provider's JWKS
(signature, issuer, audience, nonce), then userinfo. Configured by the OIDC_* settings."""

from __future__ import annotations

import logging
from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.appeals.services import AppealError
from otklik.portal.services import citizen_from_oidc

logger = logging.getLogger(__name__)
_clients: dict[tuple[str, ...], DjangoOAuth2App] = {}


def enabled() -> bool:
    return bool(settings.OIDC_DISCOVERY_URL)


def client() -> DjangoOAuth2App:
    if not enabled():
        raise Http404
    conf = (settings.OIDC_DISCOVERY_URL, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET, settings.OIDC_SCOPE)
    found = _clients.get(conf)
    if found is None:
        registry = OAuth()
        registry.register(
            name="citizen", server_metadata_url=conf[0], client_id=conf[1], client_secret=conf[2],
            client_kwargs={"scope": conf[3], "code_challenge_method": "S256", "timeout": 10},
        )
        found = registry.create_client("citizen")
        _clients[conf] = found
    return found


def start(request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """Send the browser to the provider; raises AppealError when the provider cannot be reached."""
    app = client()
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        request.session["oidc_next"] = next_url
    try:
        response: HttpResponse = app.authorize_redirect(request, redirect_uri)
    except Exception:  # unreachable provider or a broken discovery document
        logger.exception("OIDC discovery failed")
        raise AppealError("oidc_unavailable", _("The identity provider is not available now. Try again later."),
                          status=503) from None
    return response


def finish(request: HttpRequest) -> User:
    """Take the provider's answer on the callback and return the local account it signs in."""
    app = client()
    failed = _("Sign-in through the identity provider failed. Try again.")
    if request.GET.get("error"):
        raise AppealError("oidc_refused", _("Sign-in was cancelled or refused by the identity provider."))
    try:
        token: dict[str, Any] = app.authorize_access_token(request)
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        info = dict(app.userinfo(token=token))
    except OAuthError as exc:
        logger.warning("OIDC sign-in refused: %s", exc)
        raise AppealError("oidc_failed", failed) from None
    except Exception:
        logger.exception("OIDC sign-in failed")
        raise AppealError("oidc_failed", failed) from None
    if info.get("sub") and claims.get("sub") and info["sub"] != claims["sub"]:
        raise AppealError("oidc_failed", failed)  # userinfo must describe the person of the ID token
    claims = {**info, **claims}
    issuer = str(claims.get("iss") or app.load_server_metadata().get("issuer") or "")
    return citizen_from_oidc(
        issuer=issuer, subject=str(claims.get("sub") or ""), email=str(info.get("email") or claims.get("email") or ""),
        first_name=str(claims.get("given_name") or ""), last_name=str(claims.get("family_name") or ""),
        patronymic=str(claims.get("middle_name") or ""),
    )
