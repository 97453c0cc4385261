"""Workflow metadata that is not the interface: creators, runtime needs, labels, licence.

Notebooks state it as Turtle in full-line comments of their parameters cell, Python modules as
dunder variables; both end in the same values, read here. Every failure is `InvalidMetadata`
(or `MissingLicense`) naming the field, the value and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import astropy.units as u

from mmoda.workflows.errors import InvalidMetadata, MissingLicense
from mmoda.workflows.model import Creator, RuntimeNeeds

__all__ = ["Labels", "creator", "license_iri", "memory_mib", "orcid_iri", "runtime_needs",
           "spdx_iri", "walltime_seconds"]

_ORCID = re.compile(r"(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])")
_CREATOR = re.compile(r"\s*(?P<name>[^<(]+?)\s*(?:<(?P<email>[^>]+)>)?\s*(?:\((?P<id>[^)]+)\))?\s*")
_CLOCK = re.compile(r"(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)")
_ISO = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")
_SPDX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")


@dataclass(frozen=True)
class Labels:
    """The instrument and product labels MMODA users know a workflow by."""

    instrument: str | None = None
    product: str | None = None


def _orcid_checksum_ok(digits: str) -> bool:
    """ISO 7064 MOD 11-2, the check ORCID uses for its last character."""
    total = 0
    for d in digits[:-1]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def orcid_iri(value: str) -> str:
    """The ORCID IRI of an ORCID id or IRI, checked (format and checksum)."""
    match = _ORCID.fullmatch(value.strip())
    if match is None:
        raise InvalidMetadata("creator ORCID", value, "not an ORCID iD such as "
                              "https://orcid.org/0000-0002-1825-0097")
    if not _orcid_checksum_ok(match.group(1).replace("-", "")):
        raise InvalidMetadata("creator ORCID", value, "its check digit is wrong")
    return f"https://orcid.org/{match.group(1)}"


def creator(value: str | Mapping[str, object]) -> Creator:
    """A creator from `"Name <email> (ORCID)"` (email and ORCID optional) or a mapping with
    `name`, `orcid`, `email`."""
    if isinstance(value, Mapping):
        name, orcid, email = (value.get(k) for k in ("name", "orcid", "email"))
    else:
        match = _CREATOR.fullmatch(str(value))
        if match is None:
            raise InvalidMetadata("creator", value, 'expected "Name <email> (ORCID iD)"')
        name, orcid, email = match.group("name"), match.group("id"), match.group("email")
    if not isinstance(name, str) or not name.strip():
        raise InvalidMetadata("creator", value, "a creator needs a name")
    return Creator(name=name.strip(), orcid=orcid_iri(str(orcid)) if orcid else None,
                   email=str(email).strip() if email else None)


def memory_mib(value: object) -> int:
    """Memory in MiB from an integer (MiB) or a quantity string such as "4 GiB" or "512 MB"."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    try:
        mib = u.Quantity(str(value)).to_value(u.MiB)
    except (TypeError, ValueError, u.UnitsError) as exc:
        raise InvalidMetadata("memory", value, "expected MiB or a size such as '4 GiB'") from exc
    if mib <= 0:
        raise InvalidMetadata("memory", value, "must be positive")
    return max(1, round(mib))


def _clock_seconds(text: str) -> int | None:
    """Seconds of a Slurm-style [D-][HH:]MM:SS duration, or None when it is not one."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _iso_seconds(text: str) -> int | None:
    """Seconds of an ISO 8601 duration (PnDTnHnMnS), or None when it is not one."""
    match = _ISO.fullmatch(text)
    if match is None or text in ("P", "PT"):
        return None
    days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return round(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def _parse_walltime(text: str) -> int | None:
    seconds = _clock_seconds(text)
    if seconds is None:
        seconds = _iso_seconds(text)
    if seconds is None:
        try:
            seconds = round(u.Quantity(text).to_value(u.s))
        except (TypeError, ValueError, u.UnitsError):
            return None
    return seconds


def walltime_seconds(value: object, *, what: str = "walltime") -> int:
    """Walltime in seconds from an integer, "HH:MM:SS", "D-HH:MM:SS", "PT2H" or "90 min"."""
    seconds = value if isinstance(value, int) and not isinstance(value, bool) else \
        _parse_walltime(str(value).strip())
    if seconds is None:
        raise InvalidMetadata(what, value, "expected seconds, HH:MM:SS, an ISO 8601 "
                              "duration or a time such as '2 h'")
    if seconds <= 0:
        raise InvalidMetadata(what, value, "must be positive")
    return seconds


def _flag(name: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise InvalidMetadata(name, value, "must be true or false")
    return text == "true"


def runtime_needs(*, cpus: object = None, memory: object = None, walltime: object = None,
                  image: object = None, result_lifetime: object = None,
                  reusable: object = None) -> RuntimeNeeds:
    """Checked runtime needs; None leaves a need to the site's defaults."""
    if cpus is not None and (not isinstance(cpus, int) or isinstance(cpus, bool) or cpus < 1):
        raise InvalidMetadata("cpus", cpus, "must be a positive integer")
    if image is not None and (not isinstance(image, str) or not image.strip()
                              or any(c.isspace() for c in image.strip())):
        raise InvalidMetadata("container image", image, "must be an image reference such as "
                              "ghcr.io/org/image:tag")
    return RuntimeNeeds(cpus=cpus, memory_mb=None if memory is None else memory_mib(memory),
                        walltime_s=None if walltime is None else walltime_seconds(walltime),
                        image=image.strip() if isinstance(image, str) else None,
                        result_lifetime_s=None if result_lifetime is None else walltime_seconds(
                            result_lifetime, what="result lifetime"),
                        reusable=_flag("reusable", reusable))


def spdx_iri(text: str) -> str | None:
    """The SPDX IRI of an SPDX licence id ("MIT" → https://spdx.org/licenses/MIT), else None."""
    text = text.strip()
    return f"https://spdx.org/licenses/{text}" if _SPDX_ID.fullmatch(text) else None


def license_iri(value: object, *, what: str = "the licence") -> str:
    """The licence IRI of an SPDX id ("MIT" → https://spdx.org/licenses/MIT) or an IRI;
    `what` names the value in the error."""
    text = str(value).strip() if value is not None else ""
    if not text:
        raise MissingLicense()
    if text.startswith(("http://", "https://")):
        return text
    spdx = spdx_iri(text)
    if spdx is None:
        raise MissingLicense(f"{what} {text!r} is neither an SPDX id (such as MIT) nor an IRI")
    return spdx
