"""Load the plan catalog from the YAML files kept beside this module.

One file per plan under ``data/plans/``, the agency registry under ``data/agencies/``: each
registry file names the jurisdiction whose plans name its bodies, and a plan's agency names
resolve among the bodies of its own jurisdiction only. A new plan is added by adding a file:
nothing here names a plan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from planwatch.domain.chinese import to_simplified
from planwatch.domain.model import Agency, CatalogEntry, LeadBasis, Plan, Statistic

__all__ = [
    "Catalog",
    "CatalogError",
    "NotATarget",
    "PlanFile",
    "default_catalog",
    "load_catalog",
    "seed_text",
]

DATA_DIR = Path(__file__).parent / "data"
SEEDS_DIR = Path(__file__).parent / "seeds"


class CatalogError(ValueError):
    """A catalog file that does not validate; the message names the file and the field."""


class NotATarget(BaseModel):
    """A number in the seed that looks like a target but is not one, with the reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str  # exact substring of the seed
    why: str


class PlanFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    plan: Plan
    entries: tuple[dict[str, Any], ...]
    not_targets: tuple[NotATarget, ...] = ()


@dataclass(frozen=True)
class Catalog:
    plans: Mapping[str, Plan]  # by plan code
    entries: Mapping[str, CatalogEntry]  # by id, in file order
    agencies: Mapping[str, Agency]  # by agency id
    not_targets: Mapping[str, tuple[NotATarget, ...]]  # by plan code
    version: str  # content hash of the data files: stamped on every event
    # by (jurisdiction, name as written): a registry file's bodies under its jurisdiction
    _agency_by_name: Mapping[tuple[str, str], Agency] = field(default_factory=dict, repr=False)

    # by series id: the ids of the entries (targets) that one reported statistic feeds
    series: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> CatalogEntry | None:
        return self.entries.get(entry_id)

    def agency(self, name: str, plan: str) -> Agency | None:
        """The registry record of an agency as plan ``plan`` (a plan code) writes its name
        (Simplified, Traditional or an alias).

        Looked up among the bodies of the plan's jurisdiction only: the same short name is
        another body in another province (省科技厅 of a Qinghai plan is not Gansu's), and a name
        that the plan's jurisdiction does not list is unknown (None), never another's body.
        """
        found = self.plans.get(plan)
        if found is None:
            return None
        return self._agency_by_name.get((found.jurisdiction, name))

    def targets_of(self, reported_id: str) -> tuple[CatalogEntry, ...]:
        """The entries a figure reported under ``reported_id`` updates: every target of the
        series it names, or of the series of the entry it names (a statistic is one figure
        whichever of its targets' ids it is sent under). Empty for an unknown id."""
        entry = self.entries.get(reported_id)
        series = entry.series if entry is not None else reported_id
        return tuple(self.entries[i] for i in self.series.get(series, ()))

    def body(self, name: str, plan: str) -> Agency:
        """The registry record of ``name`` as plan ``plan`` writes it; KeyError naming both
        when the plan's jurisdiction lists no such body (never a made-up address)."""
        found = self.agency(name, plan)
        if found is None:
            raise KeyError(f"{name!r} is not a body of the registry of plan {plan!r}")
        return found

    @property
    def jurisdictions(self) -> tuple[str, ...]:
        return tuple(sorted({e.jurisdiction for e in self}))

    def for_jurisdiction(self, jurisdiction: str) -> tuple[CatalogEntry, ...]:
        return tuple(e for e in self if e.jurisdiction == jurisdiction)

    def led_by(self, agency_id: str) -> tuple[CatalogEntry, ...]:
        """The entries whose lead agency, as their plan names it, is the body ``agency_id``."""
        return tuple(
            e
            for e in self
            if any(
                (found := self.agency(n, e.plan_code)) is not None and found.id == agency_id
                for n in e.lead_agencies
            )
        )


# statistics that the statistics bureau publishes; the others are published (and reported) by
# the entry's lead agency unless the entry names a publisher
_BUREAU_STATISTICS = frozenset(
    s.value for s in (Statistic.RD_SURVEY, Statistic.STATISTICS, Statistic.YEARBOOK)
)


def _check_bodies(
    entry: CatalogEntry, source: str, by_name: Mapping[tuple[str, str], Agency], jurisdiction: str
) -> None:
    """Every body an entry names is a real body of its plan's registry; a lead can lead."""
    where = f"{source}: entry {entry.id}"
    if not entry.lead_agencies:
        raise CatalogError(
            f"{where}: lead_agencies: empty; name the lead from the plan's sentence, or set "
            "lead_basis: organiser to take the plan's organiser"
        )
    named = {
        "lead_agencies": entry.lead_agencies,
        "responsible_agencies": entry.responsible_agencies,
        "co_responsible": entry.co_responsible,
        "publisher": (entry.publisher,),
        "supervisor": (entry.supervisor,) if entry.supervisor else (),
    }
    for field_name, names in named.items():
        for name in names:
            if not name:
                raise CatalogError(f"{where}: {field_name}: empty (no publishing body)")
            agency = by_name.get((jurisdiction, name))
            if agency is None:
                raise CatalogError(
                    f"{where}: {field_name}: {name!r} is not a body of the {jurisdiction} "
                    "registry (agencies/*.yaml); a fallback body is not an address"
                )
            if field_name == "lead_agencies" and not agency.can_lead:
                raise CatalogError(
                    f"{where}: lead_agencies: {name!r} names several bodies together; "
                    "lead with one body and copy the others (responsible_agencies)"
                )


def _series(entries: Mapping[str, CatalogEntry]) -> dict[str, tuple[str, ...]]:
    """Group the entries by series; a series is one statistic: one place, unit, frequency."""
    groups: dict[str, list[CatalogEntry]] = {}
    for entry in entries.values():
        groups.setdefault(entry.series, []).append(entry)
    for series, members in groups.items():
        named = entries.get(series)
        if named is not None and named.series != series:
            raise CatalogError(
                f"series {series!r}: is also the id of entry {named.id} of series {named.series!r}"
            )
        first = members[0]
        for other in members[1:]:
            for attr in ("jurisdiction", "unit", "frequency", "statistic", "publisher"):
                if getattr(other, attr) != getattr(first, attr):
                    raise CatalogError(
                        f"entry {other.id}: series {series!r}: {attr} "
                        f"{getattr(other, attr)!r} differs from {getattr(first, attr)!r} of "
                        f"{first.id} (one statistic has one {attr})"
                    )
    return {series: tuple(e.id for e in members) for series, members in groups.items()}


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _entry(plan: Plan, raw: dict[str, Any], source: Path) -> CatalogEntry:
    values = {
        "plan": plan.title,
        "plan_code": plan.code,
        "seed": plan.seed,
        "jurisdiction": plan.jurisdiction,
        "start_year": plan.start_year,
        **raw,
    }
    values.setdefault("indicator_simplified", to_simplified(str(values.get("indicator", ""))))
    values.setdefault("series", values.get("id"))
    unit = values.get("unit")
    if isinstance(unit, str) and to_simplified(unit) != unit:
        values["unit_as_written"], values["unit"] = unit, to_simplified(unit)
    if isinstance(values.get("source_quote"), str):
        values["source_quote_simplified"] = to_simplified(values["source_quote"])
    if values.get("lead_basis") == LeadBasis.ORGANISER.value:
        if values.get("lead_agencies"):
            raise CatalogError(
                f"{source.name}: entry {raw.get('id', '?')}: lead_agencies: an entry led by "
                "the plan's organiser (lead_basis: organiser) lists no lead of its own"
            )
        if not plan.organiser:
            raise CatalogError(
                f"{source.name}: plan.organiser: entry {raw.get('id', '?')} is led by the "
                "plan's organiser, but the plan names none"
            )
        values["lead_agencies"] = list(plan.organiser)
        values.setdefault("lead_quote", plan.organiser_quote)
    # the responsible bodies: the 责任单位 as listed (the lead when none), then the 配合单位
    responsible = list(values.get("responsible_agencies") or values.get("lead_agencies") or [])
    values["responsible_agencies"] = list(
        dict.fromkeys(responsible + list(values.get("co_responsible") or []))
    )
    values.setdefault("supervisor", plan.supervisor)
    if not values.get("publisher"):
        statistic = values.get("statistic", Statistic.PLAN_OFFICE.value)
        if statistic in _BUREAU_STATISTICS and plan.statistics_bureau:
            values["publisher"] = plan.statistics_bureau
        elif values.get("lead_agencies"):
            values["publisher"] = values["lead_agencies"][0]
    try:
        return CatalogEntry.model_validate(values)
    except ValidationError as exc:
        raise CatalogError(f"{source.name}: entry {raw.get('id', '?')}: {exc}") from exc


def _load_agencies(
    paths: list[Path], digest: Any
) -> tuple[dict[str, Agency], dict[str, list[str]], dict[str, str]]:
    """Merge the registry files (one id may appear in several, with the same name and English):
    the records by id, the ids of each jurisdiction's files, and a file of each jurisdiction."""
    merged: dict[str, Agency] = {}
    scopes: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    for path in paths:
        digest.update(path.read_bytes())
        data = _load_yaml(path) or {}
        raws = data.get("agencies") or []
        jurisdiction = data.get("jurisdiction")
        if raws and (not isinstance(jurisdiction, str) or not jurisdiction):
            raise CatalogError(
                f"agencies/{path.name}: jurisdiction: name the jurisdiction whose plans name "
                "these bodies (a plan's jurisdiction, e.g. 甘肃省)"
            )
        for raw in raws:
            try:
                agency = Agency.model_validate(raw)
            except ValidationError as exc:
                raise CatalogError(f"agencies/{path.name}: {exc}") from exc
            scopes.setdefault(str(jurisdiction), []).append(agency.id)
            files.setdefault(str(jurisdiction), path.name)
            known = merged.get(agency.id)
            if known is None:
                merged[agency.id] = agency
                continue
            if known.name != agency.name:
                raise CatalogError(
                    f"agencies/{path.name}: {agency.id} is {agency.name!r} here "
                    f"but {known.name!r} elsewhere"
                )
            aliases = tuple(dict.fromkeys(known.aliases + agency.aliases))
            merged[agency.id] = known.model_copy(
                update={
                    "aliases": aliases,
                    "name_traditional": known.name_traditional or agency.name_traditional,
                }
            )
    return merged, scopes, files


def _names_by_jurisdiction(
    agencies: Mapping[str, Agency], scopes: Mapping[str, list[str]]
) -> dict[tuple[str, str], Agency]:
    """(jurisdiction, name) → record; within one jurisdiction a name is one body."""
    by_name: dict[tuple[str, str], Agency] = {}
    for jurisdiction, ids in scopes.items():
        for agency_id in ids:
            agency = agencies[agency_id]
            for name in agency.all_names:
                other = by_name.setdefault((jurisdiction, name), agency)
                if other.id != agency.id:
                    raise CatalogError(
                        f"agency name {name!r} of {jurisdiction} belongs to {other.id} "
                        f"and {agency.id}"
                    )
    return by_name


def load_catalog(data_dir: Path | None = None) -> Catalog:
    """Read and validate every plan file; raise CatalogError naming the file and field."""
    data_dir = data_dir or DATA_DIR
    digest = hashlib.sha256()
    agencies, scopes, files = _load_agencies(sorted((data_dir / "agencies").glob("*.yaml")), digest)
    by_name = _names_by_jurisdiction(agencies, scopes)

    plans: dict[str, Plan] = {}
    entries: dict[str, CatalogEntry] = {}
    not_targets: dict[str, tuple[NotATarget, ...]] = {}
    sources: dict[str, str] = {}  # entry id → its plan file
    for path in sorted((data_dir / "plans").glob("*.yaml")):
        digest.update(path.read_bytes())
        try:
            plan_file = PlanFile.model_validate(_load_yaml(path))
        except ValidationError as exc:
            raise CatalogError(f"{path.name}: {exc}") from exc
        plan = plan_file.plan
        if plan.code in plans:
            raise CatalogError(f"{path.name}: plan code {plan.code!r} is used twice")
        plans[plan.code] = plan
        not_targets[plan.code] = plan_file.not_targets
        for raw in plan_file.entries:
            entry = _entry(plan, raw, path)
            if entry.id in entries:
                raise CatalogError(f"{path.name}: id {entry.id!r} is used twice")
            entries[entry.id] = entry
            sources[entry.id] = path.name
    for jurisdiction in sorted(set(scopes) - {p.jurisdiction for p in plans.values()}):
        raise CatalogError(
            f"agencies/{files[jurisdiction]}: jurisdiction: no plan is of {jurisdiction!r} "
            "(name the jurisdiction of the plans that name these bodies)"
        )
    for entry in entries.values():
        _check_bodies(entry, sources[entry.id], by_name, plans[entry.plan_code].jurisdiction)
    return Catalog(
        plans=plans,
        entries=entries,
        agencies=agencies,
        not_targets=not_targets,
        version=digest.hexdigest()[:12],
        _agency_by_name=by_name,
        series=_series(entries),
    )


@cache
def default_catalog() -> Catalog:
    """The catalog shipped with the package, loaded once per process."""
    return load_catalog()


def seed_text(seed: str) -> str:
    """The plan's own text, the source of record for every quote in the catalog."""
    return (SEEDS_DIR / seed).read_text(encoding="utf-8")
