"""Override files (`override.tf`, `*_override.tf` and their `.tf.json` forms), merged as Terraform merges them.

Terraform loads a module's ordinary files first, then merges each override file, in name order, into the blocks
it names: an argument in the override replaces the original's, and nested blocks of one type in the override
replace every nested block of that type in the original. `locals` merge by name. An override block with nothing
to override is an error, as in Terraform.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from auditor.model import InputError
from auditor.terraform.syntax import Block, ParsedFile

Located = tuple[Block, str]
"""A block and the path of the file it comes from."""


def is_override_file(path: Path | str) -> bool:
    name = Path(path).name
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def merge_overrides(files: Sequence[ParsedFile]) -> tuple[list[Located], list[InputError]]:
    """The module's blocks with its override files merged in (files in name order, as Terraform loads them)."""
    ordered = sorted(files, key=lambda f: Path(f.path).name)
    blocks: list[Located] = [(b, f.path) for f in ordered if not is_override_file(f.path) for b in f.body.blocks]
    errors: list[InputError] = []
    for parsed in (f for f in ordered if is_override_file(f.path)):
        for override in parsed.body.blocks:
            if override.type == "locals":
                blocks = _merge_locals(blocks, override, parsed.path, errors)
                continue
            if override.type == "terraform":
                continue  # backend and version settings: nothing the audit reads
            index = next((i for i, (b, _) in enumerate(blocks) if _same_block(b, override)), None)
            if index is None:
                what = " ".join([override.type, *(f'"{label}"' for label in override.labels)])
                errors.append(InputError(parsed.path, f"override for {what}: no such block to override", override.line))
                continue
            original, path = blocks[index]
            blocks[index] = (merge_block(original, override), path)
    return blocks, errors


def _same_block(block: Block, override: Block) -> bool:
    if block.type != override.type:
        return False
    if block.type == "provider":
        alias = block.attributes.get("alias")
        other = override.attributes.get("alias")
        return block.labels == override.labels and (alias and alias.expression) == (other and other.expression)
    return block.labels == override.labels


def merge_block(original: Block, override: Block) -> Block:
    """Arguments replaced one by one; nested blocks replaced by type."""
    types = {b.labels[0] if b.type == "dynamic" and b.labels else b.type for b in override.blocks}

    def replaced(block: Block) -> bool:
        kind = block.labels[0] if block.type == "dynamic" and block.labels else block.type
        # An argument in the override that stands for a nested block (JSON syntax) replaces it too.
        return kind in types or kind in override.attributes

    attributes = {k: v for k, v in {**original.attributes, **override.attributes}.items() if k not in types}
    kept = tuple(b for b in original.blocks if not replaced(b))
    return original._replace(attributes=attributes, blocks=(*kept, *override.blocks))


def _merge_locals(blocks: list[Located], override: Block, path: str, errors: list[InputError]) -> list[Located]:
    merged = list(blocks)
    for name, attribute in override.attributes.items():
        index = next((i for i, (b, _) in enumerate(merged) if b.type == "locals" and name in b.attributes), None)
        if index is None:
            errors.append(InputError(path, f"override for local.{name}: no such local to override", attribute.line))
            continue
        block, origin = merged[index]
        merged[index] = (block._replace(attributes={**block.attributes, name: attribute}), origin)
    return merged
