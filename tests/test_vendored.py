"""The files the suite reads are in the repository, and the OpenAPI document is the pinned revision."""

import hashlib

from mappings import upstream_ops
from tests.contract.validator import BETA_DIR, BETA_SHA256, SPEC_PATH, SPEC_SHA256, VENDOR


def test_the_vendored_spec_is_the_pinned_revision_byte_for_byte() -> None:
    digest = hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest()
    assert digest == SPEC_SHA256, "tests/vendor/openapi/stable.json is not the pinned revision"
    assert upstream_ops.SPEC_SHA256 == SPEC_SHA256, "mappings/upstream_ops.py was derived from another spec"


def test_the_vendored_beta_documents_are_the_recorded_ones_byte_for_byte() -> None:
    found = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in BETA_DIR.glob("*.json")}
    assert found == BETA_SHA256, "tests/vendor/openapi/beta/ holds other documents than recorded"
    assert upstream_ops.BETA_SHA256 == BETA_SHA256, (
        "mappings/upstream_ops.py was derived from other beta documents"
    )


def test_the_spec_licence_is_vendored_beside_it() -> None:
    licence = (SPEC_PATH.parent / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Copyright (c) 2022 Klaviyo" in licence


# The reference folder beside the checkout, spelt in parts so that this guard does not name it.
_OUTSIDE = "/".join(("shared", "reference"))


def test_no_test_reads_outside_the_repository() -> None:
    """Every file a test reads is under tests/ (vendored); none names the folder beside the checkout."""
    tests = VENDOR.parent
    offenders = [
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if _OUTSIDE in path.read_text(encoding="utf-8")
        or ".." + "/" + "shared" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
