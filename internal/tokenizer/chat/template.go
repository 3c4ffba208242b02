package chat

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Template is a parsed chat template. It is immutable after Parse and safe
// for concurrent use by multiple goroutines.
type Template struct {
	src    string
	body   []node
	limits Limits
}

// Limits bound one render, so that a hostile or broken template (an endless
// macro recursion, a loop over range(10**9), a string doubled in a loop)
// fails fast with a *LimitError instead of taking the server down. A zero
// field means the default.
type Limits struct {
	MaxOutputBytes int // rendered prompt size; default 16 MiB
	MaxAllocBytes  int // bytes of strings and list slots built while rendering; default 256 MiB
	MaxSteps       int // statements and expressions evaluated; default 10 million
	MaxDepth       int // macro calls nested in each other; default 100
}

// DefaultLimits returns the limits a parsed template starts with.
func DefaultLimits() Limits {
	return Limits{
		MaxOutputBytes: 16 << 20,
		MaxAllocBytes:  256 << 20,
		MaxSteps:       10_000_000,
		MaxDepth:       100,
	}
}

// Input is what a chat request gives the template, mirroring the arguments
// of transformers' apply_chat_template.
//
// Messages, Tools and Documents may hold any value encoding/json can
// marshal. Each is marshalled and decoded again keeping the order of object
// keys, so a json.RawMessage reaches the template exactly as the client sent
// it (key order matters: templates print tools with tojson), a struct keeps
// its field order, and a map[string]any has its keys sorted. A nil Tools or
// Documents is None in the template, as transformers passes it.
type Input struct {
	Messages            []any
	Tools               []any
	Documents           []any
	AddGenerationPrompt bool
	// Extra holds further template variables, such as enable_thinking;
	// they override special tokens of the same name, as keyword arguments
	// to apply_chat_template do.
	Extra map[string]any
}

// SpecialTokens are the special-token strings transformers puts into the
// template context (its special_tokens_map). Empty ones are left undefined,
// as transformers leaves out tokens that are None.
type SpecialTokens struct {
	BOS, EOS, UNK, PAD string
	// Extra holds the other named tokens: sep_token, cls_token, mask_token.
	Extra map[string]string
	// Additional is additional_special_tokens.
	Additional []string
}

// Parse compiles a chat template's source. Errors are *SyntaxError, with the
// line of the problem.
func Parse(src string) (*Template, error) {
	body, err := parse(src)
	if err != nil {
		return nil, err
	}
	return &Template{src: src, body: body, limits: DefaultLimits()}, nil
}

// Source returns the template text Parse was given.
func (t *Template) Source() string { return t.src }

// WithLimits returns a copy of t that renders under l (zero fields keep the
// defaults).
func (t *Template) WithLimits(l Limits) *Template {
	c := *t
	c.limits = l.withDefaults()
	return &c
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxOutputBytes > 0 {
		d.MaxOutputBytes = l.MaxOutputBytes
	}
	if l.MaxAllocBytes > 0 {
		d.MaxAllocBytes = l.MaxAllocBytes
	}
	if l.MaxSteps > 0 {
		d.MaxSteps = l.MaxSteps
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	return d
}

// reservedVars are set from Input's own fields and may not come from Extra.
var reservedVars = map[string]bool{"messages": true, "tools": true, "documents": true, "add_generation_prompt": true}

// Render renders the template for one conversation. Errors: *RaiseError when
// the template called raise_exception, *RenderError for other template
// failures, *LimitError when a limit stopped it, and ctx's error when ctx
// ended first.
func (t *Template) Render(ctx context.Context, in Input, special SpecialTokens) (string, error) {
	vars, err := contextVars(in, special)
	if err != nil {
		return "", err
	}
	r := newRenderer(ctx, t.limits, time.Now)
	globals := builtinGlobals()
	for k, v := range vars {
		globals[k] = v
	}
	if err := r.execBody(t.body, newScope(newGlobalScope(globals))); err != nil {
		return "", err
	}
	return r.out.String(), nil
}

// contextVars builds the template's variables as transformers does: special
// tokens first, then the caller's keyword arguments, then messages, tools,
// documents and add_generation_prompt.
func contextVars(in Input, special SpecialTokens) (map[string]any, error) {
	vars := map[string]any{}
	for name, tok := range map[string]string{"bos_token": special.BOS, "eos_token": special.EOS, "unk_token": special.UNK, "pad_token": special.PAD} {
		if tok != "" {
			vars[name] = tok
		}
	}
	for name, tok := range special.Extra {
		if tok != "" {
			vars[name] = tok
		}
	}
	if len(special.Additional) > 0 {
		items := make([]any, len(special.Additional))
		for i, s := range special.Additional {
			items[i] = s
		}
		vars["additional_special_tokens"] = newList(items)
	}
	for name, v := range in.Extra {
		if reservedVars[name] {
			return nil, fmt.Errorf("chat template: Input.Extra may not set %q; use the Input field", name)
		}
		val, err := fromGo(v)
		if err != nil {
			return nil, fmt.Errorf("chat template: variable %q: %w", name, err)
		}
		vars[name] = val
	}
	msgs, err := fromGoList(in.Messages, "messages")
	if err != nil {
		return nil, err
	}
	vars["messages"] = msgs
	vars["tools"], err = optionalList(in.Tools, "tools")
	if err != nil {
		return nil, err
	}
	vars["documents"], err = optionalList(in.Documents, "documents")
	if err != nil {
		return nil, err
	}
	vars["add_generation_prompt"] = in.AddGenerationPrompt
	return vars, nil
}

func optionalList(items []any, what string) (any, error) {
	if items == nil {
		return nil, nil
	}
	return fromGoList(items, what)
}

func fromGoList(items []any, what string) (*list, error) {
	out := make([]any, len(items))
	for i, it := range items {
		v, err := fromGo(it)
		if err != nil {
			return nil, fmt.Errorf("chat template: %s[%d]: %w", what, i, err)
		}
		out[i] = v
	}
	return newList(out), nil
}

// renderer holds the state of one render.
type renderer struct {
	ctx    context.Context
	limits Limits
	now    func() time.Time
	out    *strings.Builder
	steps  int
	alloc  int
	depth  int
}

func newRenderer(ctx context.Context, l Limits, now func() time.Time) *renderer {
	return &renderer{ctx: ctx, limits: l.withDefaults(), now: now, out: &strings.Builder{}}
}

// step counts one unit of work and checks the step limit and, now and then,
// the context.
func (r *renderer) step() error {
	r.steps++
	if r.steps > r.limits.MaxSteps {
		return &limitHit{limit: "steps", max: r.limits.MaxSteps}
	}
	if r.steps&1023 == 0 {
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// charge accounts for n bytes of new strings or list slots.
func (r *renderer) charge(n int) error {
	if n > r.limits.MaxAllocBytes-r.alloc {
		return &limitHit{limit: "alloc", max: r.limits.MaxAllocBytes}
	}
	r.alloc += n
	return nil
}

func (r *renderer) write(s string) error {
	if r.out.Len()+len(s) > r.limits.MaxOutputBytes {
		return &limitHit{limit: "output", max: r.limits.MaxOutputBytes}
	}
	r.out.WriteString(s)
	return nil
}
