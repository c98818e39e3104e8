"""deploy/nginx.conf as Debian's nginx runs it in `make deploy-test` (tests/faults/nginx.py)."""

from __future__ import annotations

from pathlib import Path

from tests.faults.nginx import SNIPPET, Nginx, render


def test_the_deployed_snippet_becomes_a_loopback_configuration_under_a_temporary_prefix(
    tmp_path: Path,
) -> None:
    conf = render(SNIPPET.read_text(), upstreams=[9001, 9002], port=9000, prefix=tmp_path)

    assert "server 127.0.0.1:9001 max_fails=3 fail_timeout=10s;" in conf
    assert "server 127.0.0.1:9002 max_fails=3 fail_timeout=10s;" in conf
    assert "listen 127.0.0.1:9000;" in conf
    directives = [line.strip() for line in conf.splitlines() if not line.strip().startswith("#")]
    assert not [line for line in directives if line.startswith("resolver ")]
    assert not [line for line in directives if " resolve" in line or "app1" in line]
    assert "/var/" not in conf
    assert f"pid {tmp_path}/nginx.pid;" in conf
    # What the deployment is about stays as deployed.
    assert "location = /api/v1/stream" in conf
    assert "proxy_set_header Upgrade           $http_upgrade;" in conf
    assert "proxy_next_upstream error timeout;" in conf
    assert "keepalive 32;" in conf


async def test_debian_nginx_accepts_the_rendered_configuration(tmp_path: Path) -> None:
    nginx = Nginx(tmp_path / "nginx", upstreams=[9001, 9002], port=9000)

    said = await nginx.check()

    assert "test is successful" in said
