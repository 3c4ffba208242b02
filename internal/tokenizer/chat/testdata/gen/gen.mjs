// Renders every suite in cases.json and every snippet in snippets.json with
// @huggingface/jinja (Hugging Face's JS port of Jinja, configured as
// transformers configures Python Jinja: trim_blocks and lstrip_blocks on) and
// writes the results to ../golden/. check_python.py then re-renders the same
// inputs with Python jinja2 set up exactly as transformers sets it up and
// records where the two disagree. See README.md.
import { Template } from "@huggingface/jinja";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const testdata = path.resolve(here, "..");
const goldenDir = path.join(testdata, "golden");

// The keys transformers puts into the template context from the tokenizer's
// special_tokens_map (SPECIAL_TOKENS_ATTRIBUTES); absent or null ones are left out.
const SPECIAL_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

function tokenString(t) {
  if (t === null || t === undefined) return undefined;
  if (typeof t === "string") return t;
  if (typeof t === "object" && typeof t.content === "string") return t.content;
  return undefined;
}

function specialTokens(cfg) {
  const out = {};
  for (const k of SPECIAL_KEYS) {
    const s = tokenString(cfg[k]);
    if (s !== undefined) out[k] = s;
  }
  if (Array.isArray(cfg.additional_special_tokens) && cfg.additional_special_tokens.length > 0) {
    out.additional_special_tokens = cfg.additional_special_tokens.map(tokenString).filter((s) => s !== undefined);
  }
  return out;
}

// Mirrors transformers: chat_template.jinja, then chat_template.json, then
// tokenizer_config.json; a list of named templates picks `name` or "default".
function chatTemplate(dir, cfg, name) {
  let tpl;
  const jinjaFile = path.join(dir, "chat_template.jinja");
  const jsonFile = path.join(dir, "chat_template.json");
  if (fs.existsSync(jinjaFile)) tpl = fs.readFileSync(jinjaFile, "utf8");
  else if (fs.existsSync(jsonFile)) tpl = JSON.parse(fs.readFileSync(jsonFile, "utf8")).chat_template;
  else tpl = cfg.chat_template;
  if (Array.isArray(tpl)) {
    const want = name || "default";
    const hit = tpl.find((t) => t.name === want);
    if (!hit) throw new Error(`no chat template named ${want}`);
    tpl = hit.template;
  }
  if (typeof tpl !== "string") throw new Error(`${dir}: no chat template`);
  return tpl;
}

function render(src, ctx) {
  try {
    return { output: new Template(src).render(ctx) };
  } catch (e) {
    return { error: String(e.message) };
  }
}

function caseName(set, variant) {
  let n = `${set}/gen=${variant.add_generation_prompt ? "true" : "false"}`;
  for (const [k, v] of Object.entries(variant.extra ?? {})) n += `/${k}=${JSON.stringify(v)}`;
  return n;
}

function runSuite(suite, sets) {
  let src, special, source;
  if (suite.config) {
    const dir = path.resolve(testdata, suite.config);
    const cfgPath = path.join(dir, "tokenizer_config.json");
    if (!fs.existsSync(cfgPath)) {
      if (suite.optional) {
        console.log(`skip ${suite.name}: ${cfgPath} not found`);
        return null;
      }
      throw new Error(`${cfgPath} not found`);
    }
    const cfg = JSON.parse(fs.readFileSync(cfgPath, "utf8"));
    src = chatTemplate(dir, cfg, suite.template_name);
    special = specialTokens(cfg);
    source = { config: suite.config, ...(suite.template_name ? { template_name: suite.template_name } : {}) };
  } else {
    src = fs.readFileSync(path.resolve(testdata, suite.template), "utf8");
    special = suite.special ?? {};
    source = { template: suite.template };
  }
  const cases = [];
  for (const setName of suite.sets) {
    const set = sets[setName];
    if (!set) throw new Error(`${suite.name}: unknown message set ${setName}`);
    for (const variant of suite.variants) {
      const input = {
        messages: set.messages,
        ...(set.tools ? { tools: set.tools } : {}),
        ...(set.documents ? { documents: set.documents } : {}),
        add_generation_prompt: !!variant.add_generation_prompt,
        ...(variant.extra ? { extra: variant.extra } : {}),
      };
      // transformers passes the special tokens first and the caller's
      // keyword arguments (e.g. enable_thinking) over them.
      const ctx = structuredClone({ ...special, ...(variant.extra ?? {}), messages: input.messages, tools: input.tools, documents: input.documents, add_generation_prompt: input.add_generation_prompt });
      cases.push({ name: caseName(setName, variant), ...input, ...render(src, ctx) });
    }
  }
  return { suite: suite.name, ...source, special, cases };
}

function runSnippets(spec) {
  const cases = spec.snippets.map(([name, template, vars]) => {
    const ctx = structuredClone({ ...spec.context, ...(vars ?? {}) });
    return { name, template, ...(vars ? { vars } : {}), ...render(template, ctx) };
  });
  return { suite: "snippets", context: spec.context, cases };
}

function write(name, data) {
  fs.mkdirSync(goldenDir, { recursive: true });
  fs.writeFileSync(path.join(goldenDir, `${name}.json`), JSON.stringify(data, null, 1) + "\n");
  console.log(`wrote golden/${name}.json (${data.cases.length} cases)`);
}

const spec = JSON.parse(fs.readFileSync(path.join(here, "cases.json"), "utf8"));
for (const suite of spec.suites) {
  const out = runSuite(suite, spec.message_sets);
  if (out) write(suite.name, out);
}
const snippetsPath = path.join(here, "snippets.json");
if (fs.existsSync(snippetsPath)) write("snippets", runSnippets(JSON.parse(fs.readFileSync(snippetsPath, "utf8"))));
