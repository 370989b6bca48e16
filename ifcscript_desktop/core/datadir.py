"""Where the store lives: ``--data-dir``, else ``IFCSCRIPT_DATA_DIR``, else the user folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from ifcscript_desktop.core.store import StoreError

ENV_VAR = "IFCSCRIPT_DATA_DIR"
APP_NAME = "ifcscript-desktop"


def resolve_data_dir(cli_value: str | None) -> Path:
    """The data folder to use, created if missing, as an absolute path."""
    if cli_value:
        chosen = cli_value
    elif os.environ.get(ENV_VAR):
        chosen = os.environ[ENV_VAR]
    else:
        chosen = platformdirs.user_data_dir(APP_NAME)
    path = Path(chosen).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise StoreError(f"The data folder {path} cannot be used: a file has that name.") from exc
    except OSError as exc:
        raise StoreError(f"The data folder {path} cannot be created: {exc.strerror}.") from exc
    return path
