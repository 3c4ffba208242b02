#!/usr/bin/env python3
"""Re-renders every golden in ../golden/ with Python jinja2 configured exactly as
transformers' apply_chat_template configures it (transformers/utils/chat_template_utils.py:
ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, the
{% generation %} tag, its own tojson, raise_exception and strftime_now; tools and
documents passed as None when absent) and records where Python disagrees with
@huggingface/jinja.

Each case gets "raised": true when Python stopped in raise_exception, and a
"python" object ({"output": ...} or {"error": ...}) only when the Python result
differs from the JS one. Python is what transformers runs, so the Go tests take
"python" over the JS result when both are present. See README.md.
"""
import glob
import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(Extension):
    """transformers' {% generation %} block; rendering only, no mask tracking."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


class RaisedByTemplate(jinja2.exceptions.TemplateError):
    pass


def raise_exception(message):
    raise RaisedByTemplate(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)


def chat_template(directory, cfg, name):
    jinja_file = os.path.join(directory, "chat_template.jinja")
    json_file = os.path.join(directory, "chat_template.json")
    if os.path.exists(jinja_file):
        with open(jinja_file, encoding="utf-8") as f:
            tpl = f.read()
    elif os.path.exists(json_file):
        with open(json_file, encoding="utf-8") as f:
            tpl = json.load(f)["chat_template"]
    else:
        tpl = cfg.get("chat_template")
    if isinstance(tpl, list):
        tpl = {t["name"]: t["template"] for t in tpl}[name or "default"]
    return tpl


def render(env, src, ctx):
    try:
        return {"output": env.from_string(src).render(**ctx)}, False
    except RaisedByTemplate as e:
        return {"error": str(e)}, True
    except Exception as e:  # noqa: BLE001 - any failure is a golden "error"
        return {"error": f"{type(e).__name__}: {e}"}, False


def main():
    env = environment()
    differ = 0
    for path in sorted(glob.glob(os.path.join(TESTDATA, "golden", "*.json"))):
        with open(path, encoding="utf-8") as f:
            golden = json.load(f)
        if golden["suite"] == "snippets":
            src_for = lambda c: c["template"]  # noqa: E731
            ctx_for = lambda c: {**golden["context"], **c.get("vars", {})}  # noqa: E731
        else:
            if "config" in golden:
                directory = os.path.join(TESTDATA, golden["config"])
                with open(os.path.join(directory, "tokenizer_config.json"), encoding="utf-8") as f:
                    src = chat_template(directory, json.load(f), golden.get("template_name"))
            else:
                with open(os.path.join(TESTDATA, golden["template"]), encoding="utf-8") as f:
                    src = f.read()
            src_for = lambda c, src=src: src  # noqa: E731
            ctx_for = lambda c: {  # noqa: E731
                **golden["special"],
                **c.get("extra", {}),
                "messages": c["messages"],
                "tools": c.get("tools"),
                "documents": c.get("documents"),
                "add_generation_prompt": c["add_generation_prompt"],
            }
        for c in golden["cases"]:
            c.pop("python", None)
            c.pop("raised", None)
            got, raised = render(env, src_for(c), ctx_for(c))
            if raised:
                c["raised"] = True
            js = {k: c[k] for k in ("output", "error") if k in c}
            same = got == js or ("error" in got and "error" in js and not raised)
            if not same:
                c["python"] = got
                differ += 1
                print(f"{os.path.basename(path)}: {c['name']}: python differs from JS", file=sys.stderr)
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")
    print(f"{differ} cases where Python jinja2 (transformers) differs from @huggingface/jinja")


if __name__ == "__main__":
    main()
