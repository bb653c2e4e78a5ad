"""Catalog: data elements (数据元) and, later, the data resource catalog (政务信息资源目录)."""
