"""The fuzzer: every URL pattern of the site, the forms and links of every page it can
reach, and the nasty values of tests/fuzz/nasty.py, through Django's test client.

A request that raises, answers 5xx or redirects off the site is recorded as a failure
(method, URL, data, error) and the walk goes on, so one run lists every problem. Each
request runs in a savepoint, so a failed one cannot poison the ones after it.
"""

from __future__ import annotations

import random
import re
import traceback
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from tests.fuzz.nasty import NASTY_FILES, label
from tests.html import parse

HTMX_HEADERS = {"HTTP_HX_REQUEST": "true"}


# URL patterns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """One URL pattern of the site as a template: "titles/{pk}/{slug}/"."""

    name: str  # "catalog:title-detail"; "" for unnamed patterns
    template: str
    params: tuple[str, ...]

    def url(self, **values: str) -> str:
        quoted = {key: quote(str(value), safe="") for key, value in values.items()}
        return "/" + self.template.format(**quoted)


_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _route_template(route: str) -> str:
    return _ROUTE_PARAM.sub(lambda m: "{" + m["name"] + "}", route)


def _regex_template(regex: str) -> str:
    """A named-group regex as a template: "^media/(?P<path>.*)$" -> "media/{path}"."""
    text = regex.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    out, i = [], 0
    while i < len(text):
        if text.startswith("(?P<", i):
            end_name = text.index(">", i)
            name = text[i + 4 : end_name]
            depth, j = 1, end_name + 1
            while depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            out.append("{" + name + "}")
            i = j
        elif text[i] == "\\":
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    template = "".join(out)
    assert not set(template) & set("()[]*+?|^$"), f"cannot fill the regex {regex!r}"
    return template


def _template(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _route_template(str(pattern))
    assert isinstance(pattern, RegexPattern), pattern
    return _regex_template(pattern.regex.pattern)


def site_patterns(patterns=None, prefix: str = "", namespace: str = "") -> list[Pattern]:
    """Every URL pattern of the site, walking included resolvers recursively."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        template = prefix + _template(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            found += site_patterns(entry.url_patterns, template, inner)
        else:
            assert isinstance(entry, URLPattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            params = tuple(re.findall(r"{(\w+)}", template))
            found.append(Pattern(name, template, params))
    return found


# Pages: forms and links -----------------------------------------------------------------


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # what a browser sends
    names: list[str] = field(default_factory=list)  # every named control
    files: list[str] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)  # select name -> values

    @property
    def key(self) -> tuple:
        return (self.method, urlsplit(self.action).path, tuple(sorted(set(self.names))))


def page_forms(html, page_url: str) -> list[Form]:
    """The forms of a page with the values a browser would submit unchanged."""
    forms = []
    for element in parse(html).iter():
        if element.tag != "form":
            continue
        action = element.get("action") or page_url
        if action.startswith("?"):
            action = urlsplit(page_url).path + action
        if not action.startswith("/") or action.startswith("//"):
            continue
        form = Form((element.get("method") or "get").lower(), action)
        for control in element.iter():
            name = control.get("name")
            if not name or control.tag not in ("input", "select", "textarea", "button"):
                continue
            form.names.append(name)
            kind = (control.get("type") or "text").lower()
            if control.tag == "input" and kind == "file":
                form.files.append(name)
            elif control.tag == "select":
                values = [
                    option.get("value") if option.get("value") is not None else option.text
                    for option in control.iter()
                    if option.tag == "option"
                ]
                form.options[name] = values
                selected = [
                    option.get("value") or option.text
                    for option in control.iter()
                    if option.tag == "option" and "selected" in option.attrs
                ]
                if selected or values:
                    form.fields.append((name, (selected or values)[0]))
            elif control.tag == "textarea":
                form.fields.append((name, control.text))
            elif control.tag in ("button",) or kind in ("submit", "button", "image", "reset"):
                continue
            elif kind in ("checkbox", "radio"):
                if "checked" in control.attrs:
                    form.fields.append((name, control.get("value") or "on"))
            else:
                form.fields.append((name, control.get("value") or ""))
        forms.append(form)
    return forms


def link_params(html, page_url: str) -> set[str]:
    """Names of the query parameters in the page's links back to the same path."""
    path = urlsplit(page_url).path
    names = set()
    for element in parse(html).iter():
        href = element.get("href") if element.tag == "a" else None
        if not href or "?" not in href:
            continue
        parts = urlsplit(href)
        if parts.path in ("", path):
            names.update(key for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    return names


# The fuzzer -----------------------------------------------------------------------------


@dataclass
class Failure:
    method: str
    url: str
    data: str
    error: str

    def __str__(self) -> str:
        return f"{self.method} {self.url} {self.data}: {self.error}"


class Fuzzer:
    """Sends requests through a test client, counting them and recording failures."""

    def __init__(self, client, relogin=None, relogin_paths=()):
        self.client = client
        self.count = 0
        self.failures: list[Failure] = []
        self.relogin = relogin
        self.relogin_paths = tuple(relogin_paths)

    def send(self, method: str, url: str, data=None, *, htmx: bool = False, target: str = ""):
        """One request; the response, or None when it raised."""
        self.count += 1
        headers = dict(HTMX_HEADERS) if htmx else {}
        if target:
            headers["HTTP_HX_TARGET"] = target
        data = {} if data is None else data
        try:
            with transaction.atomic():
                response = getattr(self.client, method)(url, data, **headers)
                if response.streaming:
                    b"".join(response.streaming_content)
        except Exception as error:  # noqa: BLE001 - every error is a finding to report
            where = traceback.extract_tb(error.__traceback__)[-1]
            self._fail(method, url, data, f"{type(error).__name__}: {str(error)[:200]} "
                       f"({where.filename.split('/')[-1]}:{where.lineno})")  # fmt: skip
            response = None
        else:
            if response.status_code >= 500:
                self._fail(method, url, data, f"status {response.status_code}")
            location = response.get("Location", "") if 300 <= response.status_code < 400 else ""
            if location and not _local(location):
                self._fail(method, url, data, f"redirects off the site to {location!r}")
        if self.relogin and urlsplit(url).path.startswith(self.relogin_paths):
            self.relogin()
        return response

    def _fail(self, method, url, data, error):
        shown = {key: label(value) for key, value in data.items()} if data else ""
        self.failures.append(Failure(method.upper(), label(url), str(shown), error))


def _local(location: str) -> bool:
    if location.startswith("//"):
        return False
    parts = urlsplit(location)
    return not parts.scheme or parts.netloc == "testserver"


def rotating(values: list, k: int, rng: random.Random) -> list:
    """``k`` of ``values`` (all of them when k >= len), chosen by ``rng``."""
    return list(values) if k >= len(values) else rng.sample(values, k)


def with_value(fields: list[tuple[str, str]], name: str, value) -> dict:
    """The form's fields with ``name`` set to ``value`` (a list sends the key repeatedly)."""
    data: dict[str, list] = {}
    for key, current in fields:
        if key != name:
            data.setdefault(key, []).append(current)
    data[name] = value
    return {key: values[0] if isinstance(values, list) and len(values) == 1 else values
            for key, values in data.items()}  # fmt: skip


def nasty_file(index: int) -> SimpleUploadedFile:
    name, content = NASTY_FILES[index % len(NASTY_FILES)]
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def query_url(url: str, params: dict) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"
