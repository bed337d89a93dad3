"""Settings → API tokens: create (the secret is shown once), list and revoke personal access tokens."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opencmo.api import tokens
from opencmo.api.forms import TokenForm
from opencmo.api.models import ApiToken
from opencmo.core.tenancy import scoped_or_404, workspace_view


def _page(request: HttpRequest, form: TokenForm, *, secret: str = "", created=None, status: int = 200):
    is_admin = request.membership.is_admin
    context = {
        "form": form,
        "secret": secret,
        "created": created,
        "tokens": tokens.tokens_of(request.user, request.workspace, everyone=is_admin),
        "is_admin": is_admin,
    }
    template = "api/_tokens.html" if request.htmx else "api/tokens.html"
    return render(request, template, context, status=status)


@workspace_view()
def token_list(request: HttpRequest) -> HttpResponse:
    return _page(request, TokenForm())


@workspace_view()
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = tokens.token_create(
                actor=request.user,
                workspace=request.workspace,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return _page(request, TokenForm(), secret=secret, created=token)
    return _page(request, form, status=422 if request.htmx else 200)


@workspace_view()
@require_POST
def token_revoke(request: HttpRequest, apitoken_pk: int) -> HttpResponse:
    token = scoped_or_404(ApiToken, request.workspace, apitoken_pk)
    if token.user_id != request.user.pk and not request.membership.is_admin:
        raise PermissionDenied("Only its owner or an administrator may revoke a token.")
    tokens.token_revoke(actor=request.user, token=token)
    if request.htmx:
        return _page(request, TokenForm())
    return redirect("api_tokens", ws=request.workspace.slug)
