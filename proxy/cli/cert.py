"""``klaviyo-compat cert --out DIR [--host a.klaviyo.com ...]``: a private CA and a server certificate.

For clients that hard-code ``https://a.klaviyo.com`` (``klaviyo`` 3.1.7's POST track/identify,
``klaviyo-sdk``'s ``update_profile``): the proxy serves HTTPS for that name with the server
certificate (``serve --tls-cert DIR/server.pem --tls-key DIR/server.key``), the clients trust the
CA, and the name resolves to the proxy. A CA already in ``DIR`` is reused, so certificates for
more names stay trusted; private keys are written 0600.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import re
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("a.klaviyo.com",)
_DNS_NAME = re.compile(
    r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
CA_DAYS, SERVER_DAYS = 3650, 825
Key = ec.EllipticCurvePrivateKey


def register(sub: Any) -> None:
    cert = sub.add_parser("cert", help="create a private CA and a server certificate for a.klaviyo.com")
    cert.add_argument("--out", required=True, help="directory for ca.pem, ca.key, server.pem, server.key")
    cert.add_argument(
        "--host",
        action="append",
        dest="hosts",
        help="a name (or IP) the certificate is for; repeatable (default a.klaviyo.com)",
    )
    cert.set_defaults(func=cmd_cert)


def _write(path: Path, data: bytes, private: bool) -> None:
    """Written whole; a private key is 0600 from its creation (never readable by others)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    tmp.replace(path)


def _pem_key(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "klaviyo-compat"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _ca(out: Path) -> tuple[x509.Certificate, Key, bool]:
    """The CA in ``out`` (reused), or a new one; the flag says whether it was created."""
    cert_path, key_path = out / "ca.pem", out / "ca.key"
    if cert_path.is_file() and key_path.is_file():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise SystemExit(f"klaviyo-compat: {key_path} is not a key this command made")
        return x509.load_pem_x509_certificate(cert_path.read_bytes()), key, False
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = _name(f"klaviyo-compat private CA ({now:%Y-%m-%d})")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _pem_key(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return cert, key, True


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return len(host) <= 253 and bool(_DNS_NAME.match(host))
    return True


def _san(hosts: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def server_certificate(ca: x509.Certificate, ca_key: Key, hosts: list[str]) -> tuple[x509.Certificate, Key]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_san(hosts), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def steps(out: Path, hosts: list[str]) -> str:
    ca, names = out / "ca.pem", " ".join(h for h in hosts)
    return f"""
1. Trust the CA ({ca}) where the legacy apps run:
     Python (requests):  export REQUESTS_CA_BUNDLE={ca}   (replaces the default bundle: if the app
                         calls other HTTPS hosts too, point it at the system bundle plus this file)
     Python (ssl/httpx): export SSL_CERT_FILE={ca}
     Node.js:            export NODE_EXTRA_CA_CERTS={ca}
     System-wide (Debian/Ubuntu):
       cp {ca} /usr/local/share/ca-certificates/klaviyo-compat.crt && update-ca-certificates
2. Point {names} at the proxy, for the legacy apps only: a hosts-file line
     <proxy address>  {names}
   or a DNS override (split-horizon zone, a CoreDNS/dnsmasq rewrite). The proxy's own host must
   still resolve the real a.klaviyo.com: it is the proxy's upstream.
3. Serve HTTPS with the server certificate:
     klaviyo-compat serve --upstream https://a.klaviyo.com --host 0.0.0.0 --port 443 \\
       --tls-cert {out / "server.pem"} --tls-key {out / "server.key"}
Keep {out / "ca.key"} private (it can vouch for any name to whoever trusts the CA)."""


def cmd_cert(args: argparse.Namespace) -> int:
    import sys

    out = Path(args.out)
    hosts: list[str] = list(dict.fromkeys(args.hosts or DEFAULT_HOSTS))
    bad = [h for h in hosts if not _valid_host(h)]
    if bad:
        print(f"klaviyo-compat: not a host name or IP address: {', '.join(map(repr, bad))}", file=sys.stderr)
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
        ca, ca_key, created = _ca(out)
        cert, key = server_certificate(ca, ca_key, hosts)
        _write(out / "server.key", _pem_key(key), private=True)
        chain = cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
        _write(out / "server.pem", chain, private=False)
    except (OSError, ValueError) as exc:  # not a directory, no permission, an unreadable CA, a bad name
        print(f"klaviyo-compat: cannot write certificates to {out}: {exc}", file=sys.stderr)
        return 2
    made = "created" if created else "reused"
    print(f"klaviyo-compat: CA {made} ({out / 'ca.pem'}); server certificate for {', '.join(hosts)}")
    print(f"  ({out / 'server.pem'}, key {out / 'server.key'}, valid {SERVER_DAYS} days)")
    print(steps(out, hosts))
    return 0
