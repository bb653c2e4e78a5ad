"""Update the zh_CN catalog from the code: `make messages [TSV=new-translations.tsv]`.

A TSV file holds new translations, one `English msgid<TAB>中文` per line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tongban.kernel.i18n_catalog import ZH_CATALOG, update


def main() -> int:
    extra: dict[str, str] = {}
    for name in sys.argv[1:]:
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
