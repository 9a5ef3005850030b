"""Every route that carries a token in its path has the token kept out of the log."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from loyalty.logfilters import redact_secret_paths

TOKEN = "Zm9yZ2VkLXRva2VuLXZhbHVl"


def _token_routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        regex = prefix + entry.pattern.regex.pattern.removeprefix("^")
        if isinstance(entry, URLResolver):
            found += _token_routes(entry, regex)
        elif isinstance(entry, URLPattern) and "token" in entry.pattern.regex.groupindex:
            found.append(regex)
    return found


def _example(regex: str) -> str:
    path = re.sub(r"\(\?P<token>[^)]*\)", TOKEN, regex)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "MQ", path)
    return "/" + path.rstrip("$").replace("\\", "")


@pytest.mark.parametrize("urlconf", ["loyalty.urls_public", "loyalty.urls_tenant"])
def test_every_token_in_a_path_is_hidden_in_the_log(urlconf) -> None:
    routes = _token_routes(get_resolver(urlconf))
    assert routes, "no route with a token found"
    for regex in routes:
        line = f'"GET {_example(regex)} HTTP/1.1" 302 0'
        assert TOKEN not in redact_secret_paths(line), regex
        assert "[secret]" in redact_secret_paths(line), regex


def test_a_path_without_a_token_is_left_as_it_is() -> None:
    line = '"GET /admin/reset/done/ HTTP/1.1" 200 0'
    assert redact_secret_paths(line) == line
    set_password = '"GET /admin/reset/MQ/set-password/ HTTP/1.1" 200 0'
    assert redact_secret_paths(set_password) == set_password
