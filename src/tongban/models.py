"""Imports every context's models so that metadata is complete (migrations, tests)."""


def import_all_models() -> None:
    from tongban.catalog import models as _catalog  # noqa: F401
    from tongban.exchange import models as _exchange  # noqa: F401
    from tongban.governance import correction_models as _corrections  # noqa: F401
    from tongban.governance import quality_models as _quality  # noqa: F401
    from tongban.kernel.accounts import models as _accounts  # noqa: F401
    from tongban.kernel.audit import models as _audit  # noqa: F401
    from tongban.kernel.orgs import models as _orgs  # noqa: F401
    from tongban.notify import models as _notify  # noqa: F401
    from tongban.policy import models as _policy  # noqa: F401
    from tongban.profiles import models as _profiles  # noqa: F401
