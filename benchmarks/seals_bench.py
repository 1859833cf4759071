"""Seal verification throughput: OFD licences sealed the national way (SES, SM2/SM3 with gmssl, pure Python)
against the same files sealed with CMS (ECDSA P-256, pyHanko and OpenSSL), measured in the same run."""

from __future__ import annotations

import time
from typing import Any


def run(files: int) -> dict[str, Any]:
    from cryptography import x509
    from elicense.adapters.seals import verify_file
    from elicense.samples import make_seal_authority, sample_ofd
    from elicense.sm2_samples import make_sm2_seal_authority

    cms, sm2 = make_seal_authority(), make_sm2_seal_authority()
    roots = [cms.cert, x509.load_pem_x509_certificate(sm2.cert_pem())]
    rates: dict[str, float] = {}
    for kind, sealer in (("cms", cms), ("ses", sm2)):
        made = [sample_ofd(f"营业执照 {i}", signed_by=sealer) for i in range(files)]
        started = time.perf_counter()
        sealed = sum(verify_file(data, roots, "ofd").sealed for data in made)
        elapsed = time.perf_counter() - started
        assert sealed == files, f"{kind}: {sealed} of {files} verified as sealed"
        rates[kind] = files / elapsed
    return {"files": files, "ses_per_s": round(rates["ses"], 1), "cms_per_s": round(rates["cms"], 1),
            "ses_over_cms": round(rates["ses"] / rates["cms"], 2)}
