"""Checks HTTP exchanges with a TMF BSS against the published specs (and our extensions).

The adapter and the reference BSS are written by us, against our reading of TMF666, TMF678 and
TMF622; checking both sides of every exchange against the official Swagger documents in
``specs/`` is what keeps "speaks TMF" true of a real vendor's BSS too. The schemas are JSON Schema
Draft 4 (Swagger 2.0's dialect), each validated as ``{<schema>, "definitions": <its spec's>}``.

A resource whose ``@type`` names a definition of ``kestrel-extensions.json`` that its own spec does
not define (``KestrelBillingAccount``) is validated against both: the TMF base definition
(BillingAccount) and the extension. Messages name the operation, the JSON path and the problem:
``GET /customerBill: $[0].amountDue.value: '65.0' is not of type 'number'``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from jsonschema import Draft4Validator

from billing_adapters.tmf.spec_index import JSON, Operation, SpecIndex, json_path

SPEC_DIR = Path(__file__).with_name("specs")
PAGING = ("offset", "limit")  # TMF630 paging: non-negative integers
FIELDS = "fields"  # TMF630 attribute selection: any comma-separated names
FILTER_OPERATORS = frozenset({"gt", "gte", "lt", "lte", "eq", "ne"})  # TMF630 "billDate.gt=..."
MAX_VIOLATIONS = 50  # per exchange: a page of 100 broken bills need not log 200 lines
MAX_MESSAGE = 300  # jsonschema quotes the instance; a whole object is not useful in a log
_INTEGER = re.compile(r"[+-]?[0-9]+")
_COUNT = re.compile(r"[0-9]+")
_FORMATS = Draft4Validator.FORMAT_CHECKER


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response, as seen on the wire."""

    method: str
    url: str  # absolute or path+query
    request_headers: Mapping[str, str]
    request_body: bytes
    status: int
    response_headers: Mapping[str, str]
    response_body: bytes


_LOADED: dict[Path, Conformance] = {}
_LOAD_LOCK = threading.Lock()


class Conformance:
    """The conformance checks over one folder of specs (``Conformance.load()``: ours)."""

    def __init__(self, index: SpecIndex) -> None:
        self._index = index

    @classmethod
    def load(cls, spec_dir: Path | None = None) -> Conformance:
        """The checker over ``spec_dir`` (default: ``specs/`` beside this module), loaded once."""
        key = (spec_dir or SPEC_DIR).resolve()
        with _LOAD_LOCK:
            found = _LOADED.get(key)
            if found is None:
                found = _LOADED[key] = cls(SpecIndex.from_dir(key))
        return found

    def is_tmf(self, url: str) -> bool:
        """Whether a URL or path is under the basePath of one of the specs (/healthz is not)."""
        return self._index.spec_of(urlsplit(url).path) is not None

    def check_request(self, exchange: Exchange) -> list[str]:
        """Violations of the request ([] when fine, or when it is not a TMF exchange)."""
        found = self._find(exchange)
        return found if isinstance(found, list) else _capped(self._request(found, exchange))

    def check_response(self, exchange: Exchange) -> list[str]:
        """Violations of the response to the request's operation."""
        found = self._find(exchange)
        return found if isinstance(found, list) else _capped(self._response(found, exchange))

    def check(self, exchange: Exchange) -> list[str]:
        """Violations of both (an unknown operation is reported once)."""
        found = self._find(exchange)
        if isinstance(found, list):
            return found
        return _capped([*self._request(found, exchange), *self._response(found, exchange)])

    def _find(self, exchange: Exchange) -> Operation | list[str]:
        found = self._index.find(exchange.method, urlsplit(exchange.url).path)
        if found is None:
            return []
        return [found] if isinstance(found, str) else found

    # The request.

    def _request(self, op: Operation, exchange: Exchange) -> list[str]:
        problems: list[str] = []
        given = parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True)
        for name, value in given:
            problem = self._query_problem(op, name, value)
            if problem:
                problems.append(f"{op.label}: query parameter {name!r}: {problem}")
        names = {name for name, _ in given}
        for name, param in op.query.items():
            if param.get("required") and name not in names:
                problems.append(f"{op.label}: query parameter {name!r}: required but missing")
        headers = _lower(exchange.request_headers)
        for name in op.required_headers:
            if name.lower() not in headers:
                problems.append(f"{op.label}: header {name}: required but missing")
        if op.body is not None:
            problems += self._request_body(op, op.body, exchange.request_body)
        return problems

    def _query_problem(self, op: Operation, name: str, value: str) -> str | None:
        if name in PAGING:
            return None if _COUNT.fullmatch(value) else f"{value!r} is not a non-negative integer"
        if name == FIELDS:
            return None
        param = op.query.get(name)
        if param is not None:
            return _param_problem(param, value)
        if op.item_schema is not None and self._is_filter(op, name):
            return None
        if op.item_schema is None:
            return "not declared for this operation (attribute filters apply to lists only)"
        resource = _definition_name(op.item_schema)
        return f"not declared and not an attribute of {resource} (TMF630 filter)"

    def _is_filter(self, op: Operation, name: str) -> bool:
        if self._index.has_attribute(op.spec, op.item_schema, name):
            return True
        attribute, _, operator = name.rpartition(".")
        return (
            operator in FILTER_OPERATORS
            and bool(attribute)
            and self._index.has_attribute(op.spec, op.item_schema, attribute)
        )

    def _request_body(self, op: Operation, param: JSON, body: bytes) -> list[str]:
        if not body.strip():
            if param.get("required"):
                return [f"{op.label}: request body: required but missing"]
            return []
        try:
            instance = _parse(body)
        except ValueError as error:
            return [f"{op.label}: request body: not JSON ({error})"]
        validator = self._index.validator(op.spec, param.get("schema", {}))
        return _errors(f"{op.label}: request", validator, instance, [])

    # The response.

    def _response(self, op: Operation, exchange: Exchange) -> list[str]:
        status = str(exchange.status)
        response = op.responses.get(status) or op.responses.get("default")
        if response is None:
            declared = ", ".join(op.responses)
            return [f"{op.label}: status {status} is not declared (declared: {declared})"]
        problems: list[str] = []
        headers = _lower(exchange.response_headers)
        for name, header in response.get("headers", {}).items():
            value = headers.get(name.lower())
            integer = header.get("type") == "integer"
            if integer and value is not None and not _INTEGER.fullmatch(value.strip()):
                problems.append(f"{op.label}: header {name}: {value!r} is not an integer")
        schema = response.get("schema")
        if schema is None:
            return problems
        if not exchange.response_body.strip():
            return [*problems, f"{op.label}: {status} body: missing (expected JSON)"]
        try:
            instance = _parse(exchange.response_body)
        except ValueError as error:
            return [*problems, f"{op.label}: {status} body: not JSON ({error})"]
        problems += _errors(op.label, self._index.validator(op.spec, schema), instance, [])
        return problems + self._extension_errors(op, instance)

    def _extension_errors(self, op: Operation, instance: JSON) -> list[str]:
        extension = self._index.extension_spec
        if extension is None or extension is op.spec:
            return []
        problems: list[str] = []
        for where, resource in _typed_objects(instance, []):
            name = resource["@type"]
            if name in extension.definitions and name not in op.spec.definitions:
                validator = self._index.definition_validator(extension, name)
                problems += _errors(f"{op.label} ({name})", validator, resource, where)
        return problems


def is_tmf(url: str) -> bool:
    """``Conformance.load().is_tmf(url)``: whether the reference BSS counts the exchange."""
    return Conformance.load().is_tmf(url)


def _parse(body: bytes) -> JSON:
    """As the adapter reads bodies: numbers with a fraction are Decimals (exact money)."""
    return json.loads(body, parse_float=Decimal)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _param_problem(param: JSON, value: str) -> str | None:
    """A declared non-body parameter's value against its type, format and enum."""
    kind = param.get("type")
    if kind == "integer" and not _INTEGER.fullmatch(value):
        return f"{value!r} is not an integer"
    if kind == "boolean" and value not in ("true", "false"):
        return f"{value!r} is not a boolean"
    if param.get("format") == "date-time" and not _FORMATS.conforms(value, "date-time"):
        return f"{value!r} is not a 'date-time'"
    if "enum" in param and value not in param["enum"]:
        return f"{value!r} is not one of {param['enum']!r}"
    return None


def _definition_name(schema: JSON) -> str:
    ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
    return str(ref).rsplit("/", 1)[-1] or "the resource"


def _errors(
    label: str, validator: Draft4Validator, instance: JSON, where: list[str | int]
) -> list[str]:
    """One line per schema violation; ``where`` is the instance's place in the whole body."""
    problems = []
    for error in validator.iter_errors(instance):
        message = error.message
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        problems.append(f"{label}: {json_path([*where, *error.absolute_path])}: {message}")
    return problems


def _typed_objects(value: JSON, where: list[str | int]) -> Iterator[tuple[list[str | int], JSON]]:
    """Every object in the body that says what it is (a string ``@type``), outermost first."""
    if isinstance(value, dict):
        if isinstance(value.get("@type"), str):
            yield where, value
        for key, item in value.items():
            yield from _typed_objects(item, [*where, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _typed_objects(item, [*where, index])


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_VIOLATIONS:
        return problems
    return [*problems[:MAX_VIOLATIONS], f"... and {len(problems) - MAX_VIOLATIONS} more"]
