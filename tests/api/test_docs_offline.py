"""/docs works offline: Swagger UI 5 comes from the installed swagger-ui-py, not a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from retentionkit.server import create_app


def test_docs_page_loads_its_assets_from_this_server() -> None:
    client = TestClient(create_app())
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    urls += re.findall(r"""url:\\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text[:500]
    for url in urls:
        assert not url.startswith(("http://", "https://", "//")), url
        assert client.get(url).status_code == 200, url
