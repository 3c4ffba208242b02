package serving

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	"hfserve/internal/generate"
)

// FuzzServiceInputs sends arbitrary prompts, ids and parameters through
// every request kind: nothing panics, and every failure is one of the
// documented request errors.
func FuzzServiceInputs(f *testing.F) {
	f.Add("Once upon a time", []byte{1, 0, 0, 0, 147, 1, 0, 0}, uint8(1), uint8(2), 0.0, 0.0, uint8(0))
	f.Add("", []byte{}, uint8(0), uint8(0), 1.0, 0.5, uint8(1))
	f.Add("héllo <|im_start|> [CLS] wörld\n\t", []byte{255, 255, 255, 255}, uint8(3), uint8(1), 2.0, 1.0, uint8(2))
	f.Add("\xff\xfe", []byte{0, 2, 0, 0}, uint8(200), uint8(255), -1.0, 2.0, uint8(3))
	var models []served
	for _, name := range []string{"gpt2", "bert", "qwen2", "bert-cls"} {
		dir, err := filepath.Abs(filepath.Join(tiny, name))
		if err != nil {
			f.Fatal(err)
		}
		models = append(models, served{name: name, dir: dir})
	}
	svc := newTestService(f, models...)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, text string, raw []byte, n, maxTokens uint8, temperature, topP float64, flags uint8) {
		var ids []int32
		for len(raw) >= 4 {
			ids = append(ids, int32(binary.LittleEndian.Uint32(raw)))
			raw = raw[4:]
		}
		req := GenerateRequest{Model: "gpt2", N: int(n%4) - 1, PromptLogprobs: int(flags%4) - 1}
		req.Params = generate.Params{MaxTokens: int(maxTokens % 4), StopStrings: []string{text}}
		req.Params.Sampling = generate.SamplingParams{Temperature: temperature, TopP: topP}
		switch flags % 3 {
		case 0:
			req.Prompt.Text = text
		case 1:
			req.Prompt.IDs = ids
		case 2:
			req.Model = "qwen2"
			req.Prompt.Messages = []any{map[string]string{"role": "user", "content": text}}
			req.Prompt.ContinueFinal = flags&8 != 0
		}
		_, err := svc.Generate(ctx, req, nil)
		checkRequestError(t, "generate", err)

		inputs := []Input{{Text: text}, {IDs: ids}}
		_, err = svc.Embed(ctx, EmbedRequest{Model: "bert", Inputs: inputs, Truncate: flags&16 != 0, Dimensions: int(n) - 1})
		checkRequestError(t, "embed", err)
		_, err = svc.Classify(ctx, ClassifyRequest{Model: "bert-cls", Pairs: [][2]string{{text, text}}, Truncate: flags&16 != 0})
		checkRequestError(t, "classify", err)
		_, _, err = svc.Tokenize(ctx, TokenizeRequest{Model: "qwen2", Texts: []string{text}, AddSpecialTokens: flags&32 != 0})
		checkRequestError(t, "tokenize", err)
		_, _, err = svc.Decode(ctx, DecodeRequest{Model: "bert", IDs: [][]int32{ids}, SkipSpecialTokens: flags&64 != 0})
		checkRequestError(t, "decode", err)
	})
}

// checkRequestError fails on an error that is not one a bad request
// produces.
func checkRequestError(t *testing.T, what string, err error) {
	t.Helper()
	var (
		ie *InputError
		pe *generate.ParamError
		ce *generate.ContextLengthError
	)
	if err != nil && !errors.As(err, &ie) && !errors.As(err, &pe) && !errors.As(err, &ce) {
		t.Fatalf("%s: unexpected error %v (%T)", what, err, err)
	}
}
