"""The demo region's reference data are files of the registry's own import (otklik/demo/data/)."""

from __future__ import annotations

import pytest

from otklik.demo import region as demo
from otklik.registry.models import Organization, Territory
from otklik.registry.transfer import registry_export, registry_import

pytestmark = pytest.mark.django_db

# In the order a new region loads them, as build_demo does.
FILES = ("territories", "organizations", "people", "classifier", "categories", "routing")


def test_the_demo_files_import_through_the_registry_importer_and_export_back_the_same(region):
    for kind in FILES:
        data = (demo.DATA / f"{kind}.csv").read_bytes()
        result = registry_import(kind=kind, data=data, filename=f"{kind}.csv")
        assert result.written, (kind, result.errors[:3])
        assert result.created > 0
        exported = registry_export(kind=kind, fmt="csv")
        if kind == "organizations":
            # The demo names the duty officials after its accounts exist: only the first two groups are in the file.
            header = exported.decode("utf-8-sig").splitlines()[0].split(";")
            assert set(data.decode("utf-8-sig").splitlines()[0].split(";")) <= set(header)
            continue
        assert exported == data, kind


def test_every_key_of_the_demo_names_a_row_of_its_files(region):
    for kind in ("territories", "organizations"):
        registry_import(kind=kind, data=(demo.DATA / f"{kind}.csv").read_bytes(), filename=f"{kind}.csv")
    assert {spec.name for spec in demo.TERRITORIES} == set(Territory.objects.values_list("name", flat=True))
    assert {spec.name for spec in demo.ORGANIZATIONS} == set(Organization.objects.values_list("name", flat=True))
