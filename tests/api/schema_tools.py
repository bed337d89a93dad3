"""Reading the OpenAPI schema in tests: operations, and a valid example body for each."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from opencmo.api.routes import api


def schema() -> dict:
    return api.get_openapi_schema()


def operations(doc: dict):
    """(path, method, operation) for every operation."""
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def object_params(path: str) -> list[str]:
    return re.findall(r"\{(\w+_pk)\}", path)


def example(node: dict, components: dict, *, all_strings: bool = False):
    """A small value valid for `node`. For objects: the required properties, or, when nothing is required
    (PATCH bodies), the first string property so the request asks for a real change."""
    if "$ref" in node:
        return example(components[node["$ref"].rsplit("/", 1)[-1]], components)
    if "anyOf" in node:
        return example(node["anyOf"][0], components)
    if "enum" in node:
        return node["enum"][0]
    if "default" in node and node["default"] not in (None, [], ""):
        return node["default"]
    kind = node.get("type")
    if kind == "object":
        props = node.get("properties", {})
        required = node.get("required", [])
        if not required:
            required = [k for k, v in props.items() if v.get("anyOf", [v])[0].get("type") == "string"][:1]
        return {k: example(v, components) for k, v in props.items() if k in required}
    if kind == "string" and node.get("format") == "binary":  # a multipart upload
        return SimpleUploadedFile("x.csv", b"x")
    formats = {"date": "2026-03-01", "date-time": "2026-03-01T00:00:00Z"}
    if kind == "string":
        return formats.get(node.get("format"), "x")
    if kind == "array" and node.get("minItems"):
        return [example(node.get("items", {}), components) for _ in range(node["minItems"])]
    return {"integer": 1, "number": 1, "boolean": False, "array": []}.get(kind)


def json_body(doc: dict, op: dict):
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return None
    return example(content["schema"], doc.get("components", {}).get("schemas", {}))
