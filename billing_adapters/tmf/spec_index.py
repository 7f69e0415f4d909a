"""The Swagger 2.0 documents of ``specs/``, indexed for the conformance checks.

Loading a TMF document and building a validator for one of its schemas costs milliseconds; the
reference BSS checks every exchange in validate mode, so both are done once and kept: the
documents when the index is built, each validator on first use.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

JSON = Any
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
EXTENSIONS_FILE = "kestrel-extensions.json"  # its definitions are the extension types
_PROPERTY = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")  # as jsonschema's ``json_path`` writes keys


def json_path(elements: Iterator[str | int] | list[str | int]) -> str:
    """``$[0].amountDue.value``, the way jsonschema's ``ValidationError.json_path`` writes it."""
    path = "$"
    for element in elements:
        if isinstance(element, int):
            path += f"[{element}]"
        elif _PROPERTY.match(element):
            path += f".{element}"
        else:
            escaped = element.replace("\\", "\\\\").replace("'", "\\'")
            path += f"['{escaped}']"
    return path


@dataclass(frozen=True)
class Spec:
    """One document: its file name, its basePath without the trailing slash, its definitions."""

    name: str
    base_path: str
    definitions: Mapping[str, JSON]


@dataclass(frozen=True)
class Operation:
    """One method on one path template, with its parameters sorted by where they go."""

    spec: Spec
    method: str  # upper case
    template: str  # "/customerBill/{id}", relative to the basePath
    query: Mapping[str, JSON]  # declared query parameters by name
    required_headers: tuple[str, ...]
    body: JSON | None  # the body parameter, if any
    responses: Mapping[str, JSON]
    item_schema: JSON | None  # the items of a 200 array: the resource filters resolve through

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


@dataclass(frozen=True)
class _Route:
    template: str
    pattern: re.Pattern[str]
    operations: Mapping[str, Operation]  # by upper-case method


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/{}]+\})", template)
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(regex)


def _operation(spec: Spec, method: str, template: str, item: JSON, op: JSON) -> Operation:
    parameters = [*item.get("parameters", []), *op.get("parameters", [])]
    responses = op.get("responses", {})
    listed = responses.get("200", {}).get("schema", {})
    return Operation(
        spec=spec,
        method=method.upper(),
        template=template,
        query={p["name"]: p for p in parameters if p.get("in") == "query"},
        required_headers=tuple(
            p["name"] for p in parameters if p.get("in") == "header" and p.get("required")
        ),
        body=next((p for p in parameters if p.get("in") == "body"), None),
        responses=responses,
        item_schema=listed.get("items") if listed.get("type") == "array" else None,
    )


def _routes(spec: Spec, paths: Mapping[str, JSON]) -> tuple[_Route, ...]:
    routes = [
        _Route(
            template,
            _pattern(template),
            {
                method.upper(): _operation(spec, method, template, item, item[method])
                for method in METHODS
                if method in item
            },
        )
        for template, item in paths.items()
    ]
    # A literal path wins over a template that would also match it.
    return tuple(sorted(routes, key=lambda route: "{" in route.template))


@dataclass
class SpecIndex:
    """The loaded documents, their routes, and the validators built so far."""

    specs: tuple[Spec, ...]  # longest basePath first
    routes: Mapping[str, tuple[_Route, ...]]  # by spec name
    extension_spec: Spec | None = None  # kestrel-extensions.json: its definitions extend TMF's
    _validators: dict[tuple[str, int], Draft4Validator] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_dir(cls, spec_dir: Path) -> SpecIndex:
        specs: list[Spec] = []
        routes: dict[str, tuple[_Route, ...]] = {}
        extension_spec: Spec | None = None
        for file in sorted(spec_dir.glob("*.json")):
            document = json.loads(file.read_text(encoding="utf-8"))
            spec = Spec(file.name, document["basePath"].rstrip("/"), document["definitions"])
            specs.append(spec)
            routes[spec.name] = _routes(spec, document["paths"])
            if file.name == EXTENSIONS_FILE:
                extension_spec = spec
        specs.sort(key=lambda spec: len(spec.base_path), reverse=True)
        return cls(tuple(specs), routes, extension_spec)

    def spec_of(self, path: str) -> Spec | None:
        """The document whose basePath the path is under (None: not a TMF path)."""
        for spec in self.specs:
            if path == spec.base_path or path.startswith(spec.base_path + "/"):
                return spec
        return None

    def find(self, method: str, path: str) -> Operation | str | None:
        """The operation a request is, a sentence saying why none is, or None (not TMF)."""
        spec = self.spec_of(path)
        if spec is None:
            return None
        relative = path[len(spec.base_path) :]
        for route in self.routes[spec.name]:
            if route.pattern.fullmatch(relative):
                operation = route.operations.get(method.upper())
                if operation is None:
                    allowed = ", ".join(route.operations)
                    where = f"{method.upper()} {route.template}"
                    return f"{where}: method not in {spec.name} (allowed: {allowed})"
                return operation
        return f"{method.upper()} {path}: no such path in {spec.name}"

    def validator(self, spec: Spec, schema: JSON) -> Draft4Validator:
        """A validator for a schema of ``spec``; its ``$ref``s resolve in the spec's definitions."""
        key = (spec.name, id(schema))  # the schema objects live as long as the index
        found = self._validators.get(key)
        if found is None:
            rooted = {**schema, "definitions": spec.definitions}
            found = Draft4Validator(rooted, format_checker=Draft4Validator.FORMAT_CHECKER)
            with self._lock:
                self._validators[key] = found
        return found

    def definition_validator(self, spec: Spec, name: str) -> Draft4Validator:
        """A validator for the definition ``name`` of ``spec``."""
        return self.validator(spec, _ref_schema(name))

    def has_attribute(self, spec: Spec, schema: JSON, dotted: str) -> bool:
        """Whether a TMF630 attribute filter name resolves through the resource's properties.

        Not cached: it is a few dict lookups, and the names come from requests (unbounded)."""
        return _resolves(spec.definitions, schema, dotted.split("."))


_REF_SCHEMAS: dict[str, JSON] = {}


def _ref_schema(name: str) -> JSON:
    """One ``{"$ref": ...}`` object per definition name, so its validator is cached by identity."""
    return _REF_SCHEMAS.setdefault(name, {"$ref": f"#/definitions/{name}"})


def _deref(definitions: Mapping[str, JSON], schema: JSON) -> JSON:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        schema = definitions.get(schema["$ref"].rsplit("/", 1)[-1], {})
        seen += 1
    return schema


def _resolves(definitions: Mapping[str, JSON], schema: JSON, names: list[str]) -> bool:
    for name in names:
        schema = _deref(definitions, schema)
        while isinstance(schema, dict) and "items" in schema:  # through arrays, to their items
            schema = _deref(definitions, schema["items"])
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        if name not in properties:
            return False
        schema = properties[name]
    return True
