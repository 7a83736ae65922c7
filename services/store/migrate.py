"""Alembic migrations, run programmatically (no alembic.ini needed): upgrade(engine) brings a database to head.

Developer use: `python -m services.store.migrate revision -m "msg"` autogenerates against PARLEY_DATABASE__URL.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    if engine.dialect.name == "postgresql":
        # serialise concurrent migrators (several processes starting at once)
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727372)")
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        return
    command.upgrade(alembic_config(engine), revision)


def main(argv: list[str]) -> None:  # pragma: no cover - developer tool
    from services.settings import Settings
    from services.store.db import make_engine

    engine = make_engine(Settings())
    cfg = alembic_config(engine)
    if argv[:1] == ["revision"]:
        msg = argv[argv.index("-m") + 1] if "-m" in argv else "change"
        command.revision(cfg, message=msg, autogenerate=True)
    else:
        command.upgrade(cfg, "head")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
