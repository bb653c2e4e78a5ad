"""Enterprise and person profiles (企业画像, 一企一档): the attribute registry, profiles with
lineage, and the columnar snapshot that policy matching reads."""
