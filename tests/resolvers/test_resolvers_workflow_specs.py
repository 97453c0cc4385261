"""ParameterSpecs from parsed parameters and from registered Workflow nodes agree, and drive the
normaliser with the workflow's own limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmoda.api.site import Site, open_site
from mmoda.resolvers.errors import ParameterError
from mmoda.resolvers.normalise import normalise
from mmoda.resolvers.workflow_specs import parameter_spec, parameter_specs
from mmoda.workflows import parse_notebook
from support import make_settings

ROOT = Path(__file__).resolve().parents[2]
EDGE = Path(__file__).resolve().parents[1] / "workflows" / "notebooks"


@pytest.fixture(scope="module")
def site() -> Site:
    return open_site(make_settings(None))


def _key(spec: object) -> tuple[object, ...]:
    fields = vars(spec)
    return tuple((k, frozenset(v) if k == "allowed_values" else v) for k, v in fields.items())


@pytest.mark.parametrize("path", [ROOT / "examples" / "workflows" / "lightcurve.ipynb",
                                  EDGE / "allowed_values.ipynb", EDGE / "unit_limits.ipynb"],
                         ids=lambda p: p.stem)
def test_the_graph_gives_back_the_parsed_specs(site: Site, path: Path) -> None:
    spec = parse_notebook(path)
    done = site.registry.register(spec, ident=f"specs-{path.stem.replace('_', '-')}")
    from_graph = parameter_specs(site.kg, done.workflow)
    assert [_key(s) for s in from_graph] == [_key(parameter_spec(p)) for p in spec.parameters]
    assert [_key(s) for s in parameter_specs(site.kg, done.version)] == \
        [_key(s) for s in from_graph]


def test_the_workflow_limits_apply_when_normalising(site: Site) -> None:
    specs = {s.name: s for s in parameter_specs(site.kg, site.iri("workflows", "lightcurve"))}
    energy = specs["E1_keV"]
    closure = site.kg.superclasses(energy.type_iri)
    assert normalise(energy, "0.02 MeV", superclasses=closure).value == pytest.approx(20.0)
    with pytest.raises(ParameterError, match="E1_keV"):
        normalise(energy, "1 MeV", superclasses=closure)
