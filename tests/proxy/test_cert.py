"""``klaviyo-compat cert``: names in the certificate, the CA reused, keys 0600, mistakes one line."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509

from proxy.cli import main


def _sans(path: Path) -> list[str]:
    leaf = x509.load_pem_x509_certificates(path.read_bytes())[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(n.value) if not isinstance(n.value, ipaddress.IPv4Address) else f"ip:{n.value}" for n in san]


def test_names_chain_and_key_modes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cert", "--out", str(tmp_path), "--host", "a.klaviyo.com", "--host", "127.0.0.1"]) == 0
    assert "NODE_EXTRA_CA_CERTS" in capsys.readouterr().out
    assert _sans(tmp_path / "server.pem") == ["a.klaviyo.com", "ip:127.0.0.1"]
    leaf, ca = x509.load_pem_x509_certificates((tmp_path / "server.pem").read_bytes())
    assert ca.subject == leaf.issuer and ca == x509.load_pem_x509_certificate(
        (tmp_path / "ca.pem").read_bytes()
    )
    leaf.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for name in ("ca.key", "server.key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_a_second_run_reuses_the_ca(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cert", "--out", str(tmp_path)]) == 0
    ca_before = (tmp_path / "ca.pem").read_bytes()
    assert main(["cert", "--out", str(tmp_path), "--host", "a.klaviyo.com", "--host", "www.klaviyo.com"]) == 0
    assert "CA reused" in capsys.readouterr().out
    assert (tmp_path / "ca.pem").read_bytes() == ca_before
    leaf = x509.load_pem_x509_certificates((tmp_path / "server.pem").read_bytes())[0]
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_before))
    assert _sans(tmp_path / "server.pem") == ["a.klaviyo.com", "www.klaviyo.com"]


def test_mistakes_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cert", "--out", str(tmp_path), "--host", "bad name!"]) == 2
    assert capsys.readouterr().err.strip() == "klaviyo-compat: not a host name or IP address: 'bad name!'"
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert main(["cert", "--out", str(a_file)]) == 2
    assert capsys.readouterr().err.startswith(f"klaviyo-compat: cannot write certificates to {a_file}")
