package skills

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxTokenizerJSON bounds tokenizer.json; the largest real ones (256k-token
// vocabularies) are around 35 MB.
const maxTokenizerJSON = 512 << 20

// tokComponent is a normalizer, pre-tokenizer or decoder: only its type and
// its children matter here.
type tokComponent struct {
	Type          string         `json:"type"`
	Normalizers   []tokComponent `json:"normalizers"`
	Pretokenizers []tokComponent `json:"pretokenizers"`
	Decoders      []tokComponent `json:"decoders"`
}

// presence records that a key exists without decoding (or allocating) its
// value, so a huge vocab or merges list costs only the scan.
type presence bool

func (p *presence) UnmarshalJSON([]byte) error { *p = true; return nil }

// tokenizerSummary is the part of tokenizer.json that names its kind.
type tokenizerSummary struct {
	Normalizer   *tokComponent `json:"normalizer"`
	PreTokenizer *tokComponent `json:"pre_tokenizer"`
	Decoder      *tokComponent `json:"decoder"`
	Model        struct {
		Type         string   `json:"type"`
		ByteFallback bool     `json:"byte_fallback"`
		Merges       presence `json:"merges"`
		UnkID        presence `json:"unk_id"`
		SubwordPfx   presence `json:"continuing_subword_prefix"`
		MaxChars     presence `json:"max_input_chars_per_word"`
	} `json:"model"`
}

// readTokenizerSummary decodes tokenizer.json into the small summary struct
// straight from the file: the vocabulary is scanned, never built.
func readTokenizerSummary(path string) (tokenizerSummary, error) {
	var ts tokenizerSummary
	f, err := os.Open(path)
	if err != nil {
		return ts, err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(f, maxTokenizerJSON)))
	if err := dec.Decode(&ts); err != nil {
		return ts, fmt.Errorf("%s: %w", path, err)
	}
	return ts, nil
}

// decodeTokenizerSummary is readTokenizerSummary over bytes, for the fuzzer.
func decodeTokenizerSummary(b []byte) (tokenizerSummary, error) {
	var ts tokenizerSummary
	err := json.Unmarshal(b, &ts)
	return ts, err
}

// kind words the tokenizer's algorithm as `hfserve show` prints it.
func (ts tokenizerSummary) kind() string {
	model := ts.Model.Type
	if model == "" { // files written before "type" was serialised
		switch {
		case bool(ts.Model.Merges):
			model = "BPE"
		case bool(ts.Model.UnkID):
			model = "Unigram"
		case bool(ts.Model.SubwordPfx) || bool(ts.Model.MaxChars):
			model = "WordPiece"
		default:
			return "unknown"
		}
	}
	has := func(typ string) bool {
		return ts.PreTokenizer.has(typ) || ts.Decoder.has(typ) || ts.Normalizer.has(typ)
	}
	fallback := ts.Model.ByteFallback || has("ByteFallback")
	switch model {
	case "BPE":
		switch {
		case has("ByteLevel"):
			return "BPE (byte-level)"
		case fallback:
			return "BPE (SentencePiece, byte fallback)"
		case has("Metaspace") || has("Prepend"):
			return "BPE (SentencePiece)"
		}
		return "BPE"
	case "Unigram":
		if fallback {
			return "Unigram (byte fallback)"
		}
		return "Unigram"
	default:
		return model
	}
}

// has reports whether c or any component nested in it has type typ.
func (c *tokComponent) has(typ string) bool {
	if c == nil {
		return false
	}
	if c.Type == typ {
		return true
	}
	for _, list := range [][]tokComponent{c.Normalizers, c.Pretokenizers, c.Decoders} {
		for i := range list {
			if list[i].has(typ) {
				return true
			}
		}
	}
	return false
}

// tokenizerKind describes dir's tokenizer. Without tokenizer.json it names
// the slow-tokenizer files it finds and says, in a warning, that hfserve
// needs tokenizer.json; a malformed tokenizer.json is a warning too, since
// everything else about the model can still be shown.
func tokenizerKind(dir string) (kind string, warning string) {
	ts, err := readTokenizerSummary(filepath.Join(dir, "tokenizer.json"))
	if err == nil {
		return ts.kind(), ""
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", "tokenizer.json cannot be read: " + err.Error()
	}
	const missing = "no tokenizer.json (hfserve reads only the Hugging Face tokenizers format)"
	switch {
	case isFile(filepath.Join(dir, "tokenizer.model")):
		return "SentencePiece (tokenizer.model only)", missing
	case isFile(filepath.Join(dir, "vocab.txt")):
		return "WordPiece (vocab.txt only)", missing
	case isFile(filepath.Join(dir, "vocab.json")) && isFile(filepath.Join(dir, "merges.txt")):
		return "BPE (vocab.json + merges.txt only)", missing
	}
	return "", missing
}
