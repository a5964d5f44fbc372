"""A company's PKI for tests: a CA, a server certificate it signed for 127.0.0.1, a client
certificate, as PEM files and text (`cryptography`), for HTTPS servers on loopback."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSWORD = "correct horse battery staple"


def name_of(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def issued(subject: str, key, issuer: tuple | None, *, ca: bool, usage=None, ip=None):
    """A certificate for `key`, signed by `issuer` (its name and key), or by itself."""
    now = datetime.datetime.now(datetime.UTC)
    signer_name, signer_key = issuer or (name_of(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name_of(subject))
        .issuer_name(signer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if ip is not None:
        alt = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))])
        builder = builder.add_extension(alt, critical=False)
    return builder.sign(signer_key, hashes.SHA256())


def pem(cert) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key, password: str | None = None) -> str:
    encryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


def make_pki(folder: Path) -> dict[str, Path | str]:
    """A CA, the API's certificate it signed (for 127.0.0.1), and a client's certificate, in
    `folder`: each as `name` (its path) and `name_text` (its PEM)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = issued("Acme Internal Root CA", ca_key, None, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = issued(
        "legacy.acme.internal",
        server_key,
        (ca.subject, ca_key),
        ca=False,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        ip="127.0.0.1",
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = issued(
        "agent-gateway",
        client_key,
        (ca.subject, ca_key),
        ca=False,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    files = {
        "ca": pem(ca),
        "server_cert": pem(server),
        "server_key": key_pem(server_key),
        "client_cert": pem(client),
        "client_key": key_pem(client_key),
        "client_key_locked": key_pem(client_key, PASSWORD),
        "client_both": pem(client) + key_pem(client_key),
    }
    found: dict[str, Path | str] = {}
    for name, text in files.items():
        path = folder / f"{name}.pem"
        path.write_text(text)
        found[name], found[f"{name}_text"] = path, text
    return found
