"""Update the zh_CN catalog from the code: `make messages [TSV=new-translations.tsv]`.

A TSV file holds new translations, one `English msgid<TAB>中文` per line. Without arguments
the files in scripts/i18n/ are merged (each area of work keeps its own file there until merged).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tongban.kernel.i18n_catalog import ZH_CATALOG, update


def main() -> int:
    extra: dict[str, str] = {}
    names = sys.argv[1:] or sorted(str(p) for p in Path(__file__).parent.joinpath("i18n").glob("*.tsv"))
    for name in names:
        for line in Path(name).read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                msgid, text = line.split("\t", 1)
                extra[msgid] = text
    missing = update(extra)
    print(f"wrote {ZH_CATALOG}")
    for msgid in missing:
        print(f"untranslated: {msgid}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
