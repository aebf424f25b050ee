"""README's table reference against the declarations: every table `schema()` declares (from `families.FAMILIES`, plus
`restaurant` and `sync_log`) is listed under README's "Tables" with exactly its declared primary key, and README lists
no table that is not declared. The rows are prose a user reads (how each table changes), so they are written by hand;
their table names and keys, the part users' models depend on, are checked against the declarations here."""
import re
from pathlib import Path

from toast_connector.families import tables

ROOT = Path(__file__).resolve().parent.parent


def readme_tables() -> dict[str, tuple]:
    "{table: primary key} from the rows of README's Tables section (`a` / `b` rows pair names and keys in order)."
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Tables\n", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in section.splitlines():
        if not line.startswith("| `"): continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = re.findall(r"`([a-z_]+)`", cells[0])
        keys = [tuple(k.strip() for k in re.sub(r"\(.*?\)", "", part).replace("`", "").split(","))
                for part in cells[1].split(" / ")]
        if len(keys) == 1: keys = keys * len(names)
        assert len(keys) == len(names), f"README row pairs {len(names)} tables with {len(keys)} keys: {line[:120]}"
        for n, k in zip(names, keys):
            assert n not in out, f"README lists {n} twice"
            out[n] = k
    return out


def test_readme_lists_every_declared_table_with_its_key():
    declared = {t["table"]: tuple(t["primary_key"]) for t in tables()}
    listed = readme_tables()
    assert len(listed) > 50
    assert sorted(set(declared) - set(listed)) == [], "declared but not in README's Tables"
    assert sorted(set(listed) - set(declared)) == [], "in README's Tables but not declared"
    wrong = {t: (listed[t], declared[t]) for t in declared if set(listed[t]) != set(declared[t])}
    assert wrong == {}, f"README key != declared key: {wrong}"


def test_every_numeric_key_s_range_is_in_its_readme_row():
    """README's configuration table gives each numeric key the range `validate_configuration` accepts (helper-59: 13 had
    none), so a range changed in the code and not in README fails here."""
    from toast_connector.config import _INTS, _FLOATS
    rows = [l for l in (ROOT / "README.md").read_text().splitlines() if l.startswith("| `")]
    fmt = lambda x: f"{int(x):,}" if float(x) == int(x) else f"{x:g}"
    for key, (_, lo, hi) in {**_INTS, **_FLOATS}.items():
        (row,) = [r for r in rows if f"`{key}`" in r.split("|")[1]]
        # the whole range, not a part of another number's ("0-3,600" is not in "10-3,600"; helper-60)
        assert re.search(rf"(?<![\d.])(?<!\d,){re.escape(f'{fmt(lo)}-{fmt(hi)}')}(?!\d|,\d)", row), (key, lo, hi, row[:120])
