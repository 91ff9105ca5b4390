"""Every model family and its modules, by name. A new family is a package
beside ``flowar`` that exports a ``FAMILY``, added to ``FAMILIES``; module
names are one namespace across families (the CLI's): two families may list
the same module (VAR reports FlowAR's ``upsample``), never two modules of
one name."""

from __future__ import annotations

from tc0.errors import ModelError
from tc0.models import flowar, var
from tc0.models.module import Family, ModuleSpec

FAMILIES: dict[str, Family] = {family.name: family for family in (flowar.FAMILY, var.FAMILY)}


def _all_modules() -> dict[str, ModuleSpec]:
    modules: dict[str, ModuleSpec] = {}
    for family in FAMILIES.values():
        for name, spec in family.modules.items():
            if name in modules and modules[name] is not spec:
                raise ModelError(f"module {name!r} is registered by two families")
            modules[name] = spec
    return modules


MODULES: dict[str, ModuleSpec] = _all_modules()
#: the exact modules (the papers' definitions), in registry order
EXACT_MODULES = tuple(name for name, spec in MODULES.items() if spec.fast_of is None)
#: exact module -> its AAttC variant
FAST_VARIANT = {spec.fast_of: name for name, spec in MODULES.items() if spec.fast_of is not None}


def get_module(name: str) -> ModuleSpec:
    """The module ``name``, or a ModelError listing the known ones."""
    if name not in MODULES:
        raise ModelError(f"unknown module {name!r}; known: {', '.join(MODULES)}")
    return MODULES[name]


def family_of(name: str) -> Family:
    """The first family that registers module ``name``."""
    get_module(name)
    return next(family for family in FAMILIES.values() if name in family.modules)
