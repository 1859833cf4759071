"""Sample license files and a test seal authority, for tests, the demo and benchmarks.

`make_seal_authority` makes what the unified e-seal authority would hold in production: a CA
certificate (the trust root the service is configured with) and a sealing certificate it issued.
`signed_pdf` seals a PDF with pyHanko; `sample_ofd` builds a minimal OFD package (GB/T 33190) whose
signature list holds one signature: SHA-256 digests of the signed files and a detached CMS SignedData
over Signature.xml, made with the sealing key (see adapters/seals for what is verified). `tamper`,
`seal_pdf` (a second seal, or sealing any PDF) and the OFD options make the negative cases.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

OFD_NS = "http://www.ofdspec.org/2016"
SHA256_METHOD = "http://www.w3.org/2001/04/xmlenc#sha256"


@dataclass(frozen=True)
class SealAuthority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    sealer_key: ec.EllipticCurvePrivateKey
    sealer_cert: x509.Certificate

    check_method = SHA256_METHOD  # how an OFD's Signature.xml references are digested
    signature_method = "1.2.840.10045.4.3.2"  # ECDSA with SHA-256

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def digest(self, data: bytes) -> bytes:
        return hashlib.sha256(data).digest()

    def seal(self, signature_xml: bytes) -> bytes:
        """The OFD signature value: a detached CMS SignedData over the Signature.xml."""
        return cms_sign(self, signature_xml)

    def save(self, directory: Path) -> Path:
        """Write the authority (certificate, sealer certificate and keys) as PEM files; return the
        path of the CA certificate, which is what HUB_SEAL_AUTHORITY_CERT points to."""
        directory.mkdir(parents=True, exist_ok=True)
        pem = serialization.Encoding.PEM
        plain = serialization.NoEncryption()
        pkcs8 = serialization.PrivateFormat.PKCS8
        (directory / "authority-key.pem").write_bytes(self.key.private_bytes(pem, pkcs8, plain))
        (directory / "sealer-key.pem").write_bytes(self.sealer_key.private_bytes(pem, pkcs8, plain))
        (directory / "sealer.pem").write_bytes(self.sealer_cert.public_bytes(pem))
        (directory / "authority.pem").write_bytes(self.cert_pem())
        return directory / "authority.pem"

    @classmethod
    def load(cls, directory: Path) -> SealAuthority:
        def key(name: str) -> ec.EllipticCurvePrivateKey:
            k = serialization.load_pem_private_key((directory / name).read_bytes(), None)
            assert isinstance(k, ec.EllipticCurvePrivateKey)
            return k

        return cls(key("authority-key.pem"), x509.load_pem_x509_certificate((directory / "authority.pem").read_bytes()),
                   key("sealer-key.pem"), x509.load_pem_x509_certificate((directory / "sealer.pem").read_bytes()))


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "广西壮族自治区"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key_usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=sign, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not sign, crl_sign=not sign,
                         encipher_only=False, decipher_only=False)


def make_seal_authority(name: str = "广西统一电子印章测试签发机构", start: datetime | None = None) -> SealAuthority:
    """A CA (10 years) and a sealing certificate it issued (5 years, digitalSignature + nonRepudiation), both
    valid from `start` (default: yesterday; a `start` more than 5 years ago gives an expired sealer). EC P-256."""
    start = start or datetime.now(UTC) - timedelta(days=1)
    key, sealer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(name)
    cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(sign=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    sealer = (x509.CertificateBuilder().subject_name(_name(f"{name} 电子印章")).issuer_name(ca_name)
              .public_key(sealer_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(start).not_valid_after(start + timedelta(days=1825))
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(_key_usage(sign=True), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(sealer_key.public_key()), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
              .sign(key, hashes.SHA256()))
    return SealAuthority(key, cert, sealer_key, sealer)


def sample_pdf(text_lines: list[str]) -> bytes:
    """An unsigned one-page A4 PDF showing the lines (Adobe's non-embedded STSong-Light CJK font, so any
    reader with the Chinese font pack renders them) and carrying them in its metadata. Deterministic."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, NameObject, NumberObject
    from pypdf.generic import TextStringObject as Text

    def pdf_dict(**entries: object) -> DictionaryObject:
        return DictionaryObject({NameObject(f"/{k}"): v for k, v in entries.items()})

    def numbers(*values: int) -> ArrayObject:
        return ArrayObject(NumberObject(v) for v in values)

    song = NameObject("/STSong-Light")
    descriptor = pdf_dict(Type=NameObject("/FontDescriptor"), FontName=song, Flags=NumberObject(6),
                          FontBBox=numbers(-25, -254, 1000, 880), ItalicAngle=NumberObject(0),
                          Ascent=NumberObject(880), Descent=NumberObject(-120), CapHeight=NumberObject(880),
                          StemV=NumberObject(93))
    cid_font = pdf_dict(Type=NameObject("/Font"), Subtype=NameObject("/CIDFontType0"), BaseFont=song,
                        CIDSystemInfo=pdf_dict(Registry=Text("Adobe"), Ordering=Text("GB1"),
                                               Supplement=NumberObject(4)),
                        FontDescriptor=descriptor)
    font = pdf_dict(Type=NameObject("/Font"), Subtype=NameObject("/Type0"), BaseFont=song,
                    Encoding=NameObject("/UniGB-UCS2-H"), DescendantFonts=ArrayObject([cid_font]))
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    page[NameObject("/Resources")] = pdf_dict(Font=pdf_dict(F1=font))
    ops = [b"BT /F1 16 Tf 20 TL 72 770 Td"]
    for line in text_lines:
        ucs2 = "".join(c if ord(c) <= 0xFFFF else "?" for c in line).encode("utf-16-be")
        ops.append(b"<" + ucs2.hex().upper().encode() + b"> Tj T*")
    ops.append(b"ET")
    content = ContentStream(None, None)
    content.set_data(b"\n".join(ops))
    page.replace_contents(content)
    writer.add_metadata({"/Title": text_lines[0] if text_lines else "license",
                         "/Subject": " / ".join(text_lines), "/Producer": "gov-hub samples"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def seal_pdf(authority: SealAuthority, pdf: bytes, field_name: str = "UnifiedSeal") -> bytes:
    """`pdf` sealed by the authority's sealing certificate: an incremental update with a CMS signature
    (adbe.pkcs7.detached, chain included) in a new signature field. Works on an already sealed PDF too."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(authority.sealer_cert.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(authority.sealer_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(authority.cert.public_bytes(der))]))

    def sign() -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field_name, reason="电子证照签章"),
                               signer=signer)
        return bytes(out.getvalue())

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return sign()
    # pyHanko's synchronous API runs its own event loop: inside a running one, sign in a worker thread.
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(sign).result()


def signed_pdf(authority: SealAuthority, text_lines: list[str]) -> bytes:
    """The sample PDF sealed by the authority (field UnifiedSeal)."""
    return seal_pdf(authority, sample_pdf(text_lines))


def tamper(pdf: bytes) -> bytes:
    """Change one byte inside the first signed revision (a letter of the sample's /Producer metadata value,
    "gov-hub samples") so the file still parses but no longer matches its signature."""
    at = pdf.index(b"hub samples")
    return pdf[:at] + b"H" + pdf[at + 1:]


def _xml(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


OFD_PAGE = "Doc_0/Pages/Page_0/Content.xml"
OFD_SIGNED = ("Doc_0/Document.xml", OFD_PAGE)
_ZIP_TIME = (2019, 8, 1, 0, 0, 0)


class OfdSealer(Protocol):
    check_method: str
    signature_method: str

    def digest(self, data: bytes) -> bytes: ...

    def seal(self, signature_xml: bytes) -> bytes: ...


def sample_ofd(text: str, signed_by: OfdSealer | None = None, drop: str | None = None,
               alter_digest: bool = False, covers: tuple[str, ...] = OFD_SIGNED) -> bytes:
    """A minimal OFD package: OFD.xml → Doc_0/Document.xml → one page showing `text`. With `signed_by`,
    OFD.xml names Doc_0/Signs/Signatures.xml, which lists Sign_0/Signature.xml: references to the `covers`
    entries (default Document.xml and the page content) digested the sealer's way, and
    Sign_0/SignedValue.dat, the sealer's value over the bytes of Signature.xml: a detached CMS SignedData
    (`SealAuthority`, SHA-256) or a GB/T 38540 SES signature (`Sm2SealAuthority`, SM2/SM3). `drop` leaves
    one entry out; `alter_digest` records a wrong digest for the page (as if it were changed after signing).
    Deterministic when unsigned (fixed ZIP timestamps); a signature carries the signing time."""
    files: dict[str, bytes] = {
        "OFD.xml": _xml(
            f'<ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
            '<ofd:DocInfo><ofd:DocID>gov-hub-sample</ofd:DocID><ofd:Title>电子证照</ofd:Title></ofd:DocInfo>'
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
            + ("<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>" if signed_by else "")
            + "</ofd:DocBody></ofd:OFD>"),
        "Doc_0/Document.xml": _xml(
            f'<ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData><ofd:MaxUnitID>10</ofd:MaxUnitID>'
            "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
            '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>'),
        OFD_PAGE: _xml(
            f'<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="2">'
            f'<ofd:TextObject ID="3" Boundary="20 20 170 10" Font="4" Size="5"><ofd:TextCode X="0" Y="5">'
            f"{escape(text)}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"),
    }
    if signed_by is not None:
        refs = ""
        for path in covers:
            digest = signed_by.digest(files[path] + (b" " if alter_digest and path == OFD_PAGE else b""))
            refs += (f'<ofd:Reference FileRef="/{path}"><ofd:CheckValue>{base64.b64encode(digest).decode()}'
                     "</ofd:CheckValue></ofd:Reference>")
        signature = _xml(
            f'<ofd:Signature xmlns:ofd="{OFD_NS}"><ofd:SignedInfo><ofd:Provider ProviderName="gov-hub"/>'
            f"<ofd:SignatureMethod>{signed_by.signature_method}</ofd:SignatureMethod>"
            f"<ofd:SignatureDateTime>{datetime.now(UTC):%Y%m%d%H%M%SZ}</ofd:SignatureDateTime>"
            f'<ofd:References CheckMethod="{signed_by.check_method}">{refs}</ofd:References></ofd:SignedInfo>'
            "<ofd:SignedValue>/Doc_0/Signs/Sign_0/SignedValue.dat</ofd:SignedValue></ofd:Signature>")
        files["Doc_0/Signs/Signatures.xml"] = _xml(
            f'<ofd:Signatures xmlns:ofd="{OFD_NS}"><ofd:MaxSignId>1</ofd:MaxSignId>'
            '<ofd:Signature ID="1" Type="Seal" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>')
        files["Doc_0/Signs/Sign_0/Signature.xml"] = signature
        files["Doc_0/Signs/Sign_0/SignedValue.dat"] = signed_by.seal(signature)
    return ofd_zip({path: data for path, data in files.items() if path != drop})


def cms_sign(authority: SealAuthority, content: bytes) -> bytes:
    """A detached CMS SignedData (DER) over `content` by the sealing key, carrying the sealer and CA certificates."""
    return (pkcs7.PKCS7SignatureBuilder().set_data(content)
            .add_signer(authority.sealer_cert, authority.sealer_key, hashes.SHA256())
            .add_certificate(authority.cert)
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]))


def ofd_zip(files: dict[str, bytes]) -> bytes:
    """The entries as a ZIP package, in the given order, with fixed timestamps (deterministic bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            z.writestr(zipfile.ZipInfo(path, _ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
