"""Sign-in helpers."""


def login_username(request, credentials) -> str | None:
    """The e-mail a login attempt names, lower-cased, so lockouts ignore case as sign-in does."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.strip().lower() if username else None
