// Package chat renders Hugging Face chat templates: the Jinja template in a
// model's tokenizer_config.json (or chat_template.jinja / chat_template.json)
// that turns a list of messages into the prompt text, exactly as
// transformers' apply_chat_template renders it.
//
// # Contract
//
// Parse compiles a template once; the *Template is immutable and safe for
// concurrent Render calls. Render evaluates it with the variables
// transformers passes: messages, tools and documents (None when absent),
// add_generation_prompt, the tokenizer's special tokens (bos_token,
// eos_token, ..., additional_special_tokens) and the caller's extra keyword
// arguments (enable_thinking, ...), plus the globals raise_exception and
// strftime_now. The Jinja dialect is the one transformers configures:
// ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks on, the
// loopcontrols extension ({% break %}, {% continue %}), the {% generation %}
// block, keep_trailing_newline off, autoescape off, and transformers' own
// tojson filter (json.dumps with ensure_ascii=False, indent, separators and
// sort_keys, keys in the order the client sent them). Values behave as the
// Python objects Jinja sees: str() and repr() printing (None, True,
// ['a', 1], 1.0), Python's string and dict methods, Python arithmetic, ==
// and ordering, and Jinja's Undefined (empty when printed, an error when
// used).
//
// Every render is bounded (see Limits): output size, bytes built, steps
// and call depth are capped and ctx is checked as it runs, so a hostile
// template fails with a *LimitError rather than hanging or exhausting
// memory. Errors are typed: *SyntaxError from Parse, and from Render
// *RaiseError (the template's raise_exception message, to show the client),
// *RenderError (type errors, undefined attributes, unknown filters) and
// *LimitError, each with the template line; a model without a template
// gives ErrNoChatTemplate from FromTokenizerConfig. Templates lists every
// template a model folder ships, by name, under the same precedence.
//
// # Why our own interpreter
//
// The Go Jinja engines our registries serve were checked against goldens
// from the real templates (testdata/golden, 223 cases over Qwen3, Llama 3,
// the ChatML fixtures, Zephyr, Llama 2, Mistral, Gemma and a feature
// template): github.com/ardanlabs/jinja v1.8.0 (later versions need Go 1.27)
// renders 191 right, but its tojson always sorts keys, so every Qwen3 prompt
// with tools differs from transformers', it has no trim_blocks/lstrip_blocks
// switch and no way to register filters or globals, and it failed to parse
// the feature template; github.com/nikolalohinski/gonja/v2 v2.9.1 renders
// 157 right and keeps its defaults in package-level mutable variables.
// Neither can be bounded: no context, no output or step limit, so one
// hostile template could hang a server goroutine for good. Fixing those from
// outside is not possible, so this package is a Jinja interpreter of its own
// (lexer, parser, evaluator; no dependencies) written to the semantics of
// Python's jinja2 3.1 as transformers uses it, and tested against Hugging
// Face's JS Jinja and Python jinja2 goldens.
//
// Not supported, as chat templates do not use them: template inheritance and
// includes (there is no loader), markup-safe strings (autoescape is off, so
// escape returns a plain string), and a few filters (urlize, xmlattr,
// filesizeformat, random, urlencode). Integers are 64-bit; a result
// outside that range is an error rather than a Python big integer.
package chat
