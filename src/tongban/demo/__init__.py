"""The synthetic city used by `make demo` and the tests."""
