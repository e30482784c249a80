"""Adversarial texts for the scrubber: each aims a pattern's worst case (long runs that almost match)."""

from __future__ import annotations

MB = 1_000_000


def adversarial_texts(size: int = MB) -> dict[str, str]:
    """Name -> a text of about ``size`` characters built to make a backtracking pattern quadratic."""
    units = {
        "letters": "a",  # one e-mail local part that never reaches an @
        "local_parts": "a.",  # dotted local part, no @
        "ats": "a@",  # an @ at every other character, never a domain with a dot
        "domains": "a@a.",  # domains that never end
        "digits": "1",  # a phone number that never ends
        "dashed_digits": "123-",  # almost a 3-3-4 number
        "plus_digits": "+1",  # almost an international number
        "area_codes": "(123) ",  # almost a national number
        "key_prefixes": "pk_",  # almost a private key
        "bearers": "Bearer ",  # an auth scheme with no value
        "mixed": "+1 (415) 555-0111 bob@x.com pk_aaaaa ",
    }
    return {name: unit * (size // len(unit)) for name, unit in units.items()}
