"""The azurerm provider schema, extracted once from the cdktf provider's jsii assembly.

The assembly (an 88 MB JSON inside a .jsii.tgz) describes each resource and data source as a
class plus a `…Config` struct, nested blocks as further structs. We keep only what the check needs
- argument names, required flags, literal types, nested blocks - in a small JSON under the cache,
keyed by the package version, so the render tier reads a few hundred KB per process.
"""

from __future__ import annotations

import json
import os
import re
import tarfile
from functools import cache
from pathlib import Path
from typing import Any

from mlops_scaffold.checks.iac_schema.locate import AZURERM_PACKAGE_VERSION, SCHEMA_CACHE

_TF_NAME = re.compile(r"#([a-z0-9_]+)\}")
_BLOCK = re.compile(r"^([a-z0-9_]+) block\.?$")
_REPRESENTS = re.compile(r"/docs/(resources|data-sources)/([a-z0-9_]+) (azurerm_[a-z0-9_]+)\}")
_STRUCT_FORMAT = 1  # bump when the extracted layout changes


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _tf_name(prop: dict[str, Any]) -> str:
    docs = prop.get("docs", {})
    for text in (docs.get("summary", ""), docs.get("remarks", "")):
        if match := _TF_NAME.search(text):
            return match.group(1)
        if match := _BLOCK.match(text.strip()):
            return match.group(1)
    return _snake(prop["name"])


def _kind(type_ref: dict[str, Any], structs: dict[str, Any]) -> tuple[str, str | None]:
    """(literal type or "block"/"blocks", struct fqn) of a jsii type reference."""
    if "union" in type_ref:
        members = [member for member in type_ref["union"]["types"] if member.get("fqn") != "cdktf.IResolvable"]
        kinds = [_kind(member, structs) for member in members]
        return kinds[0] if len(kinds) == 1 else ("any", None)
    if "primitive" in type_ref:
        return {"string": "string", "number": "number", "boolean": "bool"}.get(type_ref["primitive"], "any"), None
    if "collection" in type_ref:
        element = type_ref["collection"]["elementtype"]
        if element.get("fqn") in structs:
            return "blocks", element["fqn"]
        return ("map" if type_ref["collection"]["kind"] == "map" else "list"), None
    if type_ref.get("fqn") in structs:
        return "block", type_ref["fqn"]
    return "any", None


def extract(assembly: dict[str, Any]) -> dict[str, Any]:
    """{"resources": {tf type: struct}, "data": {…}, "structs": {fqn: {"args": {name: [type,
    required]}, "blocks": {name: [fqn, required]}}}} from a jsii assembly."""
    types = assembly["types"]
    structs = {fqn: t for fqn, t in types.items() if t.get("kind") == "interface" and t.get("datatype")}
    result: dict[str, Any] = {"resources": {}, "data": {}, "structs": {}}
    for fqn, entry in types.items():
        if entry.get("kind") != "class":
            continue
        match = _REPRESENTS.search(entry.get("docs", {}).get("summary", ""))
        if match is None or f"{fqn}Config" not in structs:
            continue
        result["resources" if match.group(1) == "resources" else "data"][match.group(3)] = f"{fqn}Config"
    for fqn, struct in structs.items():
        args: dict[str, list[Any]] = {}
        blocks: dict[str, list[Any]] = {}
        for prop in struct.get("properties", []):
            kind, target = _kind(prop["type"], structs)
            name, required = _tf_name(prop), not prop.get("optional", False)
            if kind in {"block", "blocks"}:
                blocks[name] = [target, required]
            else:
                args[name] = [kind, required]
        result["structs"][fqn] = {"args": args, "blocks": blocks}
    # Keep only structs reachable from a resource or data source.
    reachable: set[str] = set()
    pending = list(result["resources"].values()) + list(result["data"].values())
    while pending:
        fqn = pending.pop()
        if fqn in reachable:
            continue
        reachable.add(fqn)
        pending.extend(target for target, _ in result["structs"][fqn]["blocks"].values())
    result["structs"] = {fqn: result["structs"][fqn] for fqn in sorted(reachable)}
    return result


def _read_assembly(tgz: Path) -> dict[str, Any]:
    with tarfile.open(tgz) as archive:
        member = archive.extractfile("package/.jsii")
        if member is None:
            raise FileNotFoundError(f"{tgz} has no package/.jsii")
        return json.load(member)


@cache
def load(tgz: Path) -> dict[str, Any]:
    """The extracted schema of the assembly `tgz`, from the cache or extracted now (and cached)."""
    cached = SCHEMA_CACHE / f"azurerm-{AZURERM_PACKAGE_VERSION}-v{_STRUCT_FORMAT}.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    schema = extract(_read_assembly(tgz))
    cached.parent.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_suffix(f".{os.getpid()}.tmp")  # atomic for parallel workers
    temporary.write_text(json.dumps(schema, separators=(",", ":")), encoding="utf-8")
    temporary.replace(cached)
    return schema
