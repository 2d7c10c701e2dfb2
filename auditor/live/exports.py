"""Cloud Asset Inventory exports as input (`--from-export FILE`): newline-delimited `Asset` JSON, read as a stream.

`ExportAssets` writes snake_case message keys (`asset_type`, `iam_policy`); the REST API returns camelCase
(`assetType`, `iamPolicy`): both are accepted, line by line, and a RESOURCE export and an IAM_POLICY export (or one
file with both) are joined on `name` by the same `AssetCollector` the live reader uses. The keys inside
`resource.data` are the resource's own API JSON and are left alone. `gs://bucket/object` is read with
google-cloud-storage (ADC; `AUDITOR_STORAGE_ENDPOINT` points it at a local server in tests).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from auditor.live.assets import AssetCollector, AssetRecord
from auditor.live.calls import Call
from auditor.live.coverage import Coverage, Unread, hierarchy_nodes
from auditor.model import InputError

if TYPE_CHECKING:
    from auditor.live.sources import LiveState

STORAGE_ENDPOINT_ENV = "AUDITOR_STORAGE_ENDPOINT"

_SNAKE = re.compile(r"_([a-z0-9])")


def read_exports(paths: Sequence[str]) -> LiveState:
    """All `paths` into one `LiveState` (source `export`); unreadable files and lines are errors, never skipped
    silently: the report is then incomplete."""
    from auditor.live.sources import LiveState

    collector = AssetCollector()
    errors: list[InputError] = []
    for path in paths:
        try:
            with _open(path) as stream:
                for number, line in enumerate(stream, start=1):
                    if not line.strip():
                        continue
                    record = _parse_line(path, number, line, errors)
                    if record is not None:
                        collector.add(record)
        except OSError as error:
            errors.append(InputError(path, f"cannot read the export: {error.strerror or error}"))
        except UnicodeDecodeError as error:
            errors.append(InputError(path, f"not UTF-8 text: {error.reason}"))
        except _StorageError as error:
            errors.append(InputError(path, str(error)))
    intent = collector.result()
    projects = tuple(str(p.id) for p in intent.projects)
    # An export is whatever asset types it was asked for: one with no custom role at all most likely left them
    # out (`--asset-types` without iam.googleapis.com/Role), so no declared role may be called missing from it.
    roles_left_out = frozenset() if collector.roles_seen else _roles_unlisted(projects, intent.organization)
    return LiveState(
        "export",
        intent,
        tuple(errors),
        Coverage(projects=frozenset(projects), nodes=hierarchy_nodes(intent), unread=roles_left_out),
        projects,
        0,
        collector.assets_read,
        tuple(paths),
    )


def _roles_unlisted(projects: Sequence[str], organization: str | None) -> frozenset[Unread]:
    unread = {Unread(Call.ROLES, project) for project in projects}
    if organization:
        unread.add(Unread(Call.ROLES, None, organization))
    return frozenset(unread)


def _parse_line(path: str, number: int, line: str, errors: list[InputError]) -> AssetRecord | None:
    try:
        asset = json.loads(line)
    except json.JSONDecodeError as error:
        errors.append(InputError(path, f"invalid JSON: {error.msg}", number, error.colno))
        return None
    if not isinstance(asset, Mapping):
        errors.append(InputError(path, "expected one Asset object per line", number))
        return None
    asset = _camel_keys(asset)
    name, asset_type = asset.get("name"), asset.get("assetType")
    if not isinstance(name, str) or not isinstance(asset_type, str):
        errors.append(InputError(path, "an Asset needs `name` and `asset_type` (or `assetType`)", number))
        return None
    resource = _camel_keys(asset.get("resource") or {})
    policy = asset.get("iamPolicy")
    return AssetRecord(
        name=name,
        asset_type=asset_type,
        ancestors=tuple(str(a) for a in asset.get("ancestors") or ()),
        version=str(resource.get("version", "")),
        data=resource.get("data") if isinstance(resource.get("data"), Mapping) else None,
        iam_policy=_camel_keys(policy) if isinstance(policy, Mapping) else None,
    )


def _camel_keys(message: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys of one message in camelCase (`iam_policy` -> `iamPolicy`); values untouched."""
    return {_SNAKE.sub(lambda m: m[1].upper(), key): value for key, value in message.items()}


class _StorageError(Exception):
    pass


def _open(path: str) -> Any:
    if path.startswith("gs://"):
        return _open_gcs(path)
    return Path(path).open(encoding="utf-8")


def _open_gcs(url: str) -> _TextLines:
    """Download `gs://bucket/object` into a temporary file (memory stays flat) and return it for reading."""
    bucket_name, _, object_name = url.removeprefix("gs://").partition("/")
    if not bucket_name or not object_name:
        raise _StorageError("expected gs://BUCKET/OBJECT")
    from google.api_core import exceptions
    from google.cloud import storage

    endpoint = os.environ.get(STORAGE_ENDPOINT_ENV)
    if endpoint:
        from google.auth.credentials import AnonymousCredentials

        client = storage.Client(
            project="auditor-local", credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoint}
        )
    else:
        from google.auth.exceptions import DefaultCredentialsError

        try:
            client = storage.Client()
        except DefaultCredentialsError as error:
            raise _StorageError(f"no Application Default Credentials for Cloud Storage: {error}") from None
    spool = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - handed to the caller, closed by _TextLines
    try:
        client.bucket(bucket_name).blob(object_name).download_to_file(spool)
    except exceptions.GoogleAPICallError as error:
        spool.close()
        raise _StorageError(f"cannot read the export from Cloud Storage: {error.message}") from None
    spool.seek(0)
    return _TextLines(spool)


class _TextLines:
    """A binary temporary file read as UTF-8 lines, closing it on exit."""

    def __init__(self, binary: IO[bytes]) -> None:
        self._binary = binary

    def __enter__(self) -> Iterator[str]:
        return (line.decode("utf-8") for line in self._binary)

    def __exit__(self, *exc: object) -> None:
        self._binary.close()
