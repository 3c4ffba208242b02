package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
	"hfserve/internal/hub"
	"hfserve/internal/serving"
	"hfserve/internal/tokenizer"
	"hfserve/internal/tokenizer/chat"
)

// maxTokenizeLine bounds one input line so that a stray binary file fails
// with a clear error instead of exhausting memory.
const maxTokenizeLine = 64 << 20

// tokenizeMode is what each input line is: text, ids or a conversation.
type tokenizeMode int

const (
	modeEncode tokenizeMode = iota
	modeDecode
	modeChat
)

// encodedLine is one output line of the encode mode.
type encodedLine struct {
	IDs     []int32  `json:"ids"`
	Tokens  []string `json:"tokens"`
	Offsets [][2]int `json:"offsets"`
}

func runTokenize(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "tokenize", "tokenize [--no-special] [--decode [--skip-special]] [--chat] [--input FILE] MODEL_OR_DIR",
		"Encode, decode or render chat prompts with a model's tokenizer (tokenizer.json,\n"+
			"tokenizer_config.json), one JSON value per line from stdin to stdout:\n"+
			"  default   a JSON string per line -> {\"ids\":[...],\"tokens\":[...],\"offsets\":[[start,end],...]}\n"+
			"            (offsets in characters of the input, as the Python tokenizers report them)\n"+
			"  --decode  a JSON array of ids per line -> a JSON string\n"+
			"  --chat    {\"messages\":[...],\"tools\":[...],\"add_generation_prompt\":true} per line (other\n"+
			"            keys, such as enable_thinking, become template variables; add_generation_prompt\n"+
			"            defaults to false), or a bare array of messages (add_generation_prompt true)\n"+
			"            -> the rendered prompt as a JSON string\n"+
			"Truncation and padding in tokenizer.json are not applied. Blank lines are skipped; the first\n"+
			"bad line stops the command with its line number (exit 1).\n"+
			"MODEL_OR_DIR is a folder, an org/name[@revision] in the Hugging Face cache, or 'builtin'.")
	noSpecial := fs.Bool("no-special", false, "encode without the special tokens the post-processor adds")
	decode := fs.Bool("decode", false, "read arrays of token ids and write the decoded text")
	skipSpecial := fs.Bool("skip-special", false, "with --decode, leave special tokens out of the text")
	chatMode := fs.Bool("chat", false, "read conversations and write the prompt the chat template renders")
	input := fs.String("input", "-", "read from this file instead of stdin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("tokenize: want exactly one MODEL_OR_DIR, got %d arguments", fs.NArg())
	}
	mode := modeEncode
	switch {
	case *decode && *chatMode:
		return usagef("tokenize: --decode and --chat exclude each other")
	case *skipSpecial && !*decode:
		return usagef("tokenize: --skip-special only applies with --decode")
	case *noSpecial && (*decode || *chatMode):
		return usagef("tokenize: --no-special only applies to encoding")
	case *decode:
		mode = modeDecode
	case *chatMode:
		mode = modeChat
	}

	dir, err := tokenizerDir(ctx, e, fs.Arg(0))
	if err != nil {
		return err
	}
	tk, err := tokenizer.LoadDir(dir)
	if err != nil {
		return err
	}
	// Encoding shows what the model sees, not what a server would cut or pad.
	tk.Tokenizer = tk.WithTruncation(nil).WithPadding(nil)

	var in io.Reader
	if *input == "-" {
		in = os.Stdin
	} else {
		f, err := os.Open(*input)
		if err != nil {
			return fmt.Errorf("tokenize: %w", err)
		}
		defer f.Close()
		in = f
	}
	out := bufio.NewWriter(e.stdout)
	err = tokenizeLines(ctx, in, out, func(line []byte) (any, error) {
		switch mode {
		case modeDecode:
			return decodeLine(tk, line, *skipSpecial)
		case modeChat:
			return chatLine(ctx, tk, line)
		}
		return encodeLine(tk, line, !*noSpecial)
	})
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("tokenize: writing: %w", ferr)
	}
	return err
}

// tokenizerDir resolves MODEL_OR_DIR as show does, except that a folder
// needs only its tokenizer files (no config.json or weights).
func tokenizerDir(ctx context.Context, e *env, refText string) (string, error) {
	if refText == serving.BuiltinRef || refText == serving.BuiltinRef+":"+builtin.Name {
		dataDir, ok := e.lookupEnv("HFSERVE_DATA_DIR")
		if !ok {
			dataDir = config.Default().DataDir
		}
		return builtin.Materialize(dataDir)
	}
	ref, err := hub.ParseRef(refText)
	if err != nil {
		return "", usageError{err}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if ref.Path != "" {
		st, err := os.Stat(ref.Path)
		if err != nil {
			return "", fmt.Errorf("tokenize: %w", err)
		}
		if !st.IsDir() {
			return "", fmt.Errorf("tokenize: %s is not a folder", ref.Path)
		}
		return ref.Path, nil
	}
	snap, err := hub.Cache{Dir: hub.CacheDir(e.lookupEnv, e.homeDir)}.Resolve(ref.Repo, ref.Revision)
	if err != nil {
		return "", err
	}
	return snap.Dir, nil
}

// tokenizeLines applies do to every non-blank input line and writes each
// result as one line of JSON. The first failure stops it, naming the line.
func tokenizeLines(ctx context.Context, in io.Reader, out io.Writer, do func([]byte) (any, error)) error {
	r := bufio.NewReaderSize(in, 1<<16)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false) // tokens such as <s> stay readable
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := readLine(r)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("tokenize: line %d: %w", n, err)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if !utf8.Valid(line) {
				// encoding/json would silently turn the bad bytes into U+FFFD.
				return fmt.Errorf("tokenize: line %d: not valid UTF-8", n)
			}
			v, derr := do(line)
			if derr != nil {
				return fmt.Errorf("tokenize: line %d: %w", n, derr)
			}
			if werr := enc.Encode(v); werr != nil {
				return fmt.Errorf("tokenize: line %d: writing: %w", n, werr)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// readLine reads up to and without the next newline (and a CR before it).
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxTokenizeLine {
			return nil, fmt.Errorf("longer than %d MiB", maxTokenizeLine>>20)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		return line, err
	}
}

func encodeLine(tk *tokenizer.Pretrained, line []byte, addSpecial bool) (any, error) {
	var text string
	if err := json.Unmarshal(line, &text); err != nil {
		return nil, fmt.Errorf("want a JSON string: %w", jsonErr(err))
	}
	enc, err := tk.Encode(text, addSpecial)
	if err != nil {
		return nil, err
	}
	return encodedLine{IDs: nonNil(enc.IDs), Tokens: nonNil(enc.Tokens), Offsets: nonNil(enc.Offsets)}, nil
}

func decodeLine(tk *tokenizer.Pretrained, line []byte, skipSpecial bool) (any, error) {
	var ids []int64
	if err := json.Unmarshal(line, &ids); err != nil || ids == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, fmt.Errorf("want a JSON array of token ids: %w", jsonErr(err))
	}
	ids32 := make([]int32, len(ids))
	vocab := tk.VocabSize()
	for i, id := range ids {
		if _, ok := tk.IDToToken(int32(id)); id < 0 || id > 1<<31-1 || !ok {
			return nil, fmt.Errorf("token id %d (item %d) is not in the vocabulary (%d tokens)", id, i, vocab)
		}
		ids32[i] = int32(id)
	}
	// The tokenizer.json decoder alone, as the Rust library decodes.
	return tk.Tokenizer.Decode(ids32, skipSpecial)
}

func chatLine(ctx context.Context, tk *tokenizer.Pretrained, line []byte) (any, error) {
	in := chat.Input{}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var msgs []json.RawMessage
		if err := json.Unmarshal(trimmed, &msgs); err != nil {
			return nil, fmt.Errorf("want an array of messages: %w", jsonErr(err))
		}
		in.Messages, in.AddGenerationPrompt = rawItems(msgs), true
	} else {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &obj); err != nil || obj == nil {
			if err == nil {
				err = errors.New("null")
			}
			return nil, fmt.Errorf(`want {"messages": [...], ...} or an array of messages: %w`, jsonErr(err))
		}
		for key, raw := range obj {
			var err error
			switch key {
			case "messages":
				in.Messages, err = rawArray(raw, key)
			case "tools":
				in.Tools, err = rawArray(raw, key)
			case "documents":
				in.Documents, err = rawArray(raw, key)
			case "add_generation_prompt":
				if err = json.Unmarshal(raw, &in.AddGenerationPrompt); err != nil {
					err = fmt.Errorf("add_generation_prompt: want true or false")
				}
			default:
				if in.Extra == nil {
					in.Extra = map[string]any{}
				}
				in.Extra[key] = raw
			}
			if err != nil {
				return nil, err
			}
		}
		if in.Messages == nil {
			return nil, errors.New(`no "messages"`)
		}
	}
	tmpl, special, err := pickChatTemplate(tk, len(in.Tools) > 0)
	if err != nil {
		return nil, err
	}
	return tmpl.Render(ctx, in, special)
}

// pickChatTemplate chooses as transformers does: the "tool_use" template
// when tools are given and the model has one, else the default.
func pickChatTemplate(tk *tokenizer.Pretrained, tools bool) (*chat.Template, chat.SpecialTokens, error) {
	if tools {
		t, special, err := tk.ChatTemplate("tool_use")
		if !errors.Is(err, chat.ErrNoChatTemplate) {
			return t, special, err
		}
	}
	return tk.ChatTemplate("")
}

// rawArray reads a JSON array (null: none) keeping each item's bytes, so
// the template sees objects with their keys in the order they were written.
func rawArray(raw json.RawMessage, what string) ([]any, error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%s: want an array: %w", what, jsonErr(err))
	}
	return rawItems(items), nil
}

func rawItems(items []json.RawMessage) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// jsonErr shortens encoding/json's type errors for a one-line report.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("got a JSON %s", te.Value)
	}
	return err
}

// nonNil makes empty results print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
