package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
	"hfserve/internal/generate"
	"hfserve/internal/hub"
	"hfserve/internal/serving"
	"hfserve/internal/skills"
	"hfserve/internal/tensor"
)

const runDescription = `Generate text with MODEL in this process, without a server. With PROMPT,
print one completion (streamed as it is generated) and exit. Without PROMPT,
start an interactive session: a chat through the model's chat template when it
has one, otherwise each line you type is a prompt to complete. Type /clear to
forget the conversation, /bye (or end the input) to quit.

MODEL is a folder, org/name[@revision] in the Hugging Face cache, or
stories260k (also "builtin") for the model built into hfserve.`

// runOptions are run's flags.
type runOptions struct {
	maxTokens   int
	temperature float64
	topP        float64
	topK        int
	seed        int64
	system      string
	dataDir     string
}

func runRun(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "run", "run [flags] MODEL [PROMPT]", runDescription)
	var o runOptions
	fs.IntVar(&o.maxTokens, "max-tokens", 256, "most tokens to generate per answer (0: until the context is full)")
	fs.Float64Var(&o.temperature, "temperature", -1, "sampling temperature; 0 is greedy (default: the model's generation_config.json, else 1)")
	fs.Float64Var(&o.topP, "top-p", 0, "nucleus sampling mass in (0, 1]; 0 keeps the model's default")
	fs.IntVar(&o.topK, "top-k", 0, "sample from the k most likely tokens; 0 keeps the model's default")
	fs.Int64Var(&o.seed, "seed", -1, "random seed for reproducible sampling (-1: a fresh one)")
	fs.StringVar(&o.system, "system", "", "system message for chat models")
	fs.StringVar(&o.dataDir, "data-dir", "", "hfserve's data folder, where the built-in model is unpacked (default: as serve's data_dir)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return usagef("run: want MODEL and an optional PROMPT, got %d arguments (quote a prompt with spaces)", fs.NArg())
	}
	if o.maxTokens < 0 {
		return usagef("run: --max-tokens must be >= 0, got %d", o.maxTokens)
	}
	if o.topP < 0 || o.topP > 1 {
		return usagef("run: --top-p must be in [0, 1], got %g", o.topP)
	}
	if o.topK < 0 {
		return usagef("run: --top-k must be >= 0, got %d", o.topK)
	}
	spec, err := runModelSpec(fs.Arg(0))
	if err != nil {
		return usageError{err}
	}
	if o.dataDir == "" {
		o.dataDir = config.Default().DataDir
		if v, ok := e.lookupEnv("HFSERVE_DATA_DIR"); ok && v != "" {
			o.dataDir = v
		}
	}

	store := hub.Store{Cache: hub.Cache{Dir: hub.CacheDir(e.lookupEnv, e.homeDir)}}
	catalog, err := serving.BuildCatalog(ctx, serving.Sources{Models: []config.ModelSpec{spec}, Store: store, DataDir: o.dataDir})
	if err != nil {
		return err
	}
	// The kernel set follows HFSERVE_KERNELS as serve's does; a value this
	// CPU cannot honour is an error here too, not a silent fallback.
	if err := tensor.CheckKernelsEnv(); err != nil {
		return fmt.Errorf("kernels: %w", err)
	}
	pool := tensor.NewPool(0)
	defer pool.Close()
	manager, err := serving.NewManager(serving.ManagerOptions{Catalog: catalog, Load: serving.RuntimeLoader(pool), KeepAlive: -1})
	if err != nil {
		return err
	}
	defer manager.Close(context.WithoutCancel(ctx))
	svc := serving.NewService(manager)
	entry, _ := catalog.Lookup(svc.DefaultModel())
	serves := entry.Serves()
	if !serves.HasTask(skills.TaskTextGeneration) && !serves.HasTask(skills.TaskChat) {
		return fmt.Errorf("run: model %q does not generate text (it serves %v)", entry.Name, serves.Tasks)
	}
	s := &runSession{svc: svc, model: entry.Name, chat: serves.HasTask(skills.TaskChat), opts: o, out: e.stdout}
	if fs.NArg() == 2 {
		return s.once(ctx, fs.Arg(1))
	}
	return s.interactive(ctx, e.stdin)
}

// runModelSpec turns run's MODEL argument into a model spec; the built-in
// model answers to its name and to "builtin".
func runModelSpec(arg string) (config.ModelSpec, error) {
	if arg == builtin.Name || arg == serving.BuiltinRef || arg == serving.BuiltinRef+":"+builtin.Name {
		return config.ModelSpec{Name: builtin.Name, Ref: serving.BuiltinRef}, nil
	}
	return config.ParseModelRef(arg)
}

// runSession is one `hfserve run`: a model and, in chat mode, the
// conversation so far.
type runSession struct {
	svc      *serving.Service
	model    string
	chat     bool
	opts     runOptions
	out      io.Writer
	messages []any
}

// once answers one prompt and exits.
func (s *runSession) once(ctx context.Context, prompt string) error {
	_, err := s.answer(ctx, prompt)
	return err
}

// interactive reads prompts line by line until /bye or the end of input.
func (s *runSession) interactive(ctx context.Context, in io.Reader) error {
	if in == nil {
		return usagef("run: no PROMPT given and no input to read one from")
	}
	mode := "completion"
	if s.chat {
		mode = "chat"
	}
	fmt.Fprintf(s.out, "hfserve run: %s (%s). /clear forgets the conversation, /bye quits.\n", s.model, mode)
	lines := bufio.NewScanner(in)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	for {
		fmt.Fprint(s.out, ">>> ")
		if !lines.Scan() {
			fmt.Fprintln(s.out)
			return lines.Err()
		}
		line := strings.TrimSpace(lines.Text())
		switch line {
		case "":
			continue
		case "/bye", "/exit", "/quit":
			return nil
		case "/clear":
			s.messages = nil
			fmt.Fprintln(s.out, "(conversation cleared)")
			continue
		}
		if _, err := s.answer(ctx, line); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A bad prompt (too long, say) ends only this turn.
			fmt.Fprintf(s.out, "error: %s\n", oneLine(err.Error()))
		}
	}
}

// answer streams the model's answer to prompt and remembers the turn in
// chat mode.
func (s *runSession) answer(ctx context.Context, prompt string) (string, error) {
	req := serving.GenerateRequest{
		Model:            s.model,
		Task:             skills.TaskTextGeneration,
		UseModelDefaults: true,
		Params:           s.params(),
		PromptLogprobs:   -1,
	}
	if s.chat {
		if len(s.messages) == 0 && s.opts.system != "" {
			s.messages = append(s.messages, map[string]any{"role": "system", "content": s.opts.system})
		}
		req.Task = skills.TaskChat
		req.Prompt.Messages = append(append([]any(nil), s.messages...), map[string]any{"role": "user", "content": prompt})
	} else {
		req.Prompt.Text = prompt
		// A completion continues the prompt: print it so the output reads
		// as one text.
		fmt.Fprint(s.out, prompt)
	}
	res, err := s.svc.Generate(ctx, req, func(ev serving.GenerateEvent) error {
		_, err := io.WriteString(s.out, ev.Token.Text)
		return err
	})
	fmt.Fprintln(s.out)
	if err != nil {
		return "", err
	}
	if len(res.Choices) == 0 {
		return "", errors.New("run: the model returned no completion")
	}
	text := res.Choices[0].Text
	if s.chat {
		s.messages = append(req.Prompt.Messages, map[string]any{"role": "assistant", "content": text})
	}
	return text, nil
}

// params maps the flags onto generation parameters; zero fields let the
// model's generation_config.json decide (UseModelDefaults).
func (s *runSession) params() generate.Params {
	p := generate.Params{MaxTokens: s.opts.maxTokens}
	switch {
	case s.opts.temperature == 0:
		p.Sampling.TopK = 1 // explicit greedy, whatever the model's defaults
	case s.opts.temperature > 0:
		p.Sampling.Temperature = s.opts.temperature
	}
	p.Sampling.TopP = s.opts.topP
	if s.opts.topK > 0 {
		p.Sampling.TopK = s.opts.topK
	}
	if s.opts.seed >= 0 {
		seed := uint64(s.opts.seed)
		p.Sampling.Seed = &seed
	}
	return p
}
