"""Every site address the README gives (`/account/`, `/u/<username>/`) is a page of the
site: a newcomer following it does not land on a 404."""

import re
from pathlib import Path

from django.urls import Resolver404, resolve

README = Path(__file__).resolve().parents[2] / "README.md"
NOT_SITE_PATHS = ("/usr/", "/etc/", "/tmp/", "/var/", "/opt/")


def readme_paths() -> list[str]:
    found = re.findall(r"`(/[a-z][^` ]*)`", README.read_text())
    paths = {p for p in found if not p.startswith(NOT_SITE_PATHS)}
    # Fill placeholders with a plausible value: <username> -> ann, <id> -> 1.
    return sorted(
        re.sub(r"<[^>]+>", lambda m: "1" if "id" in m.group() else "ann", p) for p in paths
    )


def test_every_site_path_in_the_readme_resolves():
    paths = readme_paths()
    assert "/account/" in paths and len(paths) >= 8
    missing = []
    for path in paths:
        try:
            resolve(path)
        except Resolver404:
            missing.append(path)
    assert missing == []
