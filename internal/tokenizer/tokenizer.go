package tokenizer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// ErrInvalidUTF8 is returned when the text to encode is not valid UTF-8.
var ErrInvalidUTF8 = errors.New("tokenizer: text is not valid UTF-8")

// Tokenizer is a loaded tokenizer.json pipeline. It is immutable and safe
// for concurrent use; WithTruncation and WithPadding return adjusted copies
// that share the vocabularies.
type Tokenizer struct {
	normalizer normalizer
	pre        preTokenizer
	model      model
	post       postProcessor
	decoder    decoder
	added      *addedVocab
	truncation *TruncationParams
	padding    *PaddingParams
	vocabSize  int
	// fastByteLevel and fastWordPiece are set when the pipeline allows
	// encoding on raw bytes.
	fastByteLevel *byteLevelFast
	fastWordPiece *wordPieceFast
}

// LoadFile reads a tokenizer.json file; a path ending in .gz is gunzipped.
func LoadFile(path string) (*Tokenizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	size := 0
	if st, err := f.Stat(); err == nil && st.Size() < 1<<31 {
		size = int(st.Size())
	}
	if strings.HasSuffix(path, ".gz") {
		size *= 6 // typical tokenizer.json compression ratio
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	var buf bytes.Buffer
	buf.Grow(size + 512)
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("tokenizer: reading %s: %w", path, err)
	}
	t, err := Parse(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return t, nil
}

// Load reads a tokenizer.json document.
func Load(r io.Reader) (*Tokenizer, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: reading: %w", err)
	}
	return Parse(data)
}

// Parse builds a Tokenizer from the bytes of a tokenizer.json document.
func Parse(data []byte) (*Tokenizer, error) {
	// One pass over the document: the model's vocab and merges (most of
	// its bytes) are parsed where they are found rather than skipped first.
	s := &jsonScanner{data: data}
	var mf *modelFields
	var modelErr error
	fields, err := s.fields(func(k string) (bool, error) {
		if k != "model" {
			return false, nil
		}
		mf = nil // a later duplicate wins
		if s.peek() != '{' {
			return false, nil
		}
		mf, modelErr = s.scanModel()
		return true, modelErr
	})
	if err == nil {
		err = s.end()
	}
	switch {
	case modelErr != nil:
		return nil, fmt.Errorf("tokenizer: model: %w", modelErr)
	case err != nil:
		return nil, fmt.Errorf("tokenizer: invalid JSON: %w", err)
	}
	doc := struct {
		Truncation, Padding, AddedTokens, Normalizer, PreTokenizer, Model, PostProcessor, Decoder json.RawMessage
	}{fields["truncation"], fields["padding"], fields["added_tokens"], fields["normalizer"],
		fields["pre_tokenizer"], fields["model"], fields["post_processor"], fields["decoder"]}
	if v, ok := fields["version"]; ok {
		var version string
		if err := json.Unmarshal(v, &version); err != nil || version != "1.0" {
			return nil, fmt.Errorf("tokenizer: unknown tokenizer.json version %s", truncateJSON(v))
		}
	}
	t := &Tokenizer{}
	if mf != nil {
		t.model, err = buildModel(mf)
	} else {
		t.model, err = parseModel(doc.Model)
	}
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if !isNull(doc.Normalizer) {
		if t.normalizer, err = parseNormalizer(doc.Normalizer); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	if !isNull(doc.PreTokenizer) {
		if t.pre, err = parsePreTokenizer(doc.PreTokenizer); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	if !isNull(doc.PostProcessor) {
		if t.post, err = parsePostProcessor(doc.PostProcessor); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	if !isNull(doc.Decoder) {
		if t.decoder, err = parseDecoder(doc.Decoder); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	if t.truncation, err = parseTruncation(doc.Truncation); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if t.padding, err = parsePadding(doc.Padding); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	added, err := parseAddedTokens(doc.AddedTokens)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if t.added, err = buildAddedVocab(added, t.model, t.normalizer); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t.fastByteLevel = newByteLevelFast(t)
	t.fastWordPiece = newWordPieceFast(t)
	t.vocabSize = t.model.vocabSize()
	for content := range t.added.toID {
		if _, ok := t.model.tokenToID(content); !ok {
			t.vocabSize++
		}
	}
	return t, nil
}

// WithTruncation returns a copy of t that truncates with p (nil: never).
func (t *Tokenizer) WithTruncation(p *TruncationParams) *Tokenizer {
	c := *t
	c.truncation = p
	return &c
}

// WithPadding returns a copy of t that pads with p (nil: never).
func (t *Tokenizer) WithPadding(p *PaddingParams) *Tokenizer {
	c := *t
	c.padding = p
	return &c
}

// Truncation returns the truncation settings (nil when none).
func (t *Tokenizer) Truncation() *TruncationParams { return t.truncation }

// Padding returns the padding settings (nil when none).
func (t *Tokenizer) Padding() *PaddingParams { return t.padding }

// VocabSize is the number of distinct tokens, added tokens included.
func (t *Tokenizer) VocabSize() int { return t.vocabSize }

// TokenToID returns the id of a token (added tokens first, then the model).
func (t *Tokenizer) TokenToID(tok string) (int32, bool) {
	if id, ok := t.added.toID[tok]; ok {
		return id, true
	}
	return t.model.tokenToID(tok)
}

// IDToToken returns the token string of an id.
func (t *Tokenizer) IDToToken(id int32) (string, bool) {
	if a, ok := t.added.byID[id]; ok {
		return a.Content, true
	}
	return t.model.idToToken(id)
}

// IsSpecial reports whether the token with this id is a special added token.
func (t *Tokenizer) IsSpecial(id int32) bool {
	tok, ok := t.IDToToken(id)
	return ok && t.added.special[tok]
}

// AddedTokens returns the added tokens with their ids, in file order.
func (t *Tokenizer) AddedTokens() []AddedToken {
	out := make([]AddedToken, 0, len(t.added.specials)+len(t.added.classic))
	seen := map[int32]bool{}
	for _, a := range append(append([]AddedToken{}, t.added.specials...), t.added.classic...) {
		id := t.added.toID[a.Content]
		if seen[id] {
			continue
		}
		seen[id] = true
		a.ID = id
		out = append(out, a)
	}
	return out
}

// Encode encodes one text; addSpecial lets the post-processor add its
// special tokens (e.g. [CLS] and [SEP]).
func (t *Tokenizer) Encode(text string, addSpecial bool) (*Encoding, error) {
	return t.encode(text, nil, addSpecial)
}

// EncodePair encodes a pair of texts (for cross-encoders and rerankers).
func (t *Tokenizer) EncodePair(a, b string, addSpecial bool) (*Encoding, error) {
	return t.encode(a, &b, addSpecial)
}

// EncodeBatch encodes texts in parallel (one worker per CPU, each taking
// the next text as it finishes one, so long and short texts balance) and
// pads them together when padding is set. It stops early when ctx is
// cancelled or a text fails; the error names the failing text (the
// earliest of those found before the workers stopped).
func (t *Tokenizer) EncodeBatch(ctx context.Context, texts []string, addSpecial bool) ([]*Encoding, error) {
	out := make([]*Encoding, len(texts))
	errs := make([]error, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(texts) {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					failed.Store(true)
					return
				}
				e, err := t.encodeNoPad(texts[i], nil, addSpecial)
				if err != nil {
					errs[i] = fmt.Errorf("tokenizer: batch item %d: %w", i, err)
					failed.Store(true)
					return
				}
				out[i] = e
			}
		}()
	}
	wg.Wait()
	if failed.Load() {
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
	}
	if t.padding != nil {
		padEncodings(out, t.padding)
	}
	return out, nil
}

func (t *Tokenizer) encode(a string, b *string, addSpecial bool) (*Encoding, error) {
	e, err := t.encodeNoPad(a, b, addSpecial)
	if err != nil {
		return nil, err
	}
	if t.padding != nil {
		padEncodings([]*Encoding{e}, t.padding)
	}
	return e, nil
}

func (t *Tokenizer) encodeNoPad(a string, b *string, addSpecial bool) (*Encoding, error) {
	first, err := t.encodeSequence(a, 0)
	if err != nil {
		return nil, err
	}
	var pair *Encoding
	if b != nil {
		if pair, err = t.encodeSequence(*b, 1); err != nil {
			return nil, err
		}
	}
	if t.truncation != nil {
		maxLen := t.truncation.MaxLength
		if t.post != nil && addSpecial {
			if n := t.post.addedTokens(pair != nil); n > 0 {
				if n > maxLen {
					return nil, fmt.Errorf("tokenizer: truncation max_length %d is smaller than the %d special tokens added", maxLen, n)
				}
				maxLen -= n
			}
		}
		if err := truncateEncodings(first, pair, t.truncation, maxLen); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	encs := []*Encoding{first}
	if pair != nil {
		encs = append(encs, pair)
	}
	if t.post != nil {
		if encs, err = t.post.processEncodings(encs, addSpecial); err != nil {
			return nil, fmt.Errorf("tokenizer: post-processing: %w", err)
		}
	}
	return mergeEncodings(encs), nil
}

// encodeSequence runs added tokens, normalizer, pre-tokenizer and model on
// one text.
func (t *Tokenizer) encodeSequence(text string, typeID int32) (*Encoding, error) {
	if !utf8.ValidString(text) {
		return nil, ErrInvalidUTF8
	}
	if t.fastByteLevel != nil {
		if e, ok, err := t.fastByteLevel.encode(t, text, typeID); ok {
			return e, err
		}
	}
	if t.fastWordPiece != nil {
		if e, ok, err := t.fastWordPiece.encode(t, text, typeID); ok {
			return e, err
		}
	}
	pt, err := t.added.extract(text, t.normalizer)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if t.pre != nil {
		if err := t.pre.preTokenize(pt); err != nil {
			return nil, fmt.Errorf("tokenizer: pre-tokenizing: %w", err)
		}
	}
	e := &Encoding{}
	if _, err := t.appendSplits(e, pt, newCharConverter(text), 0, typeID, 0); err != nil {
		return nil, err
	}
	return e, nil
}

// appendSplits runs the model on the pieces of pt and appends their tokens
// to e. pt's offsets are shifted by base bytes (pt may hold a part of the
// text conv was made for) and its pieces are numbered as words from word
// on. It returns the number of pieces.
func (t *Tokenizer) appendSplits(e *Encoding, pt *preTokenized, conv charConverter, base int, typeID, word int32) (int32, error) {
	for idx, sp := range pt.splits {
		toks := sp.tokens
		if !sp.tokenized {
			var err error
			if toks, err = t.model.tokenize(sp.n.text); err != nil {
				return 0, fmt.Errorf("tokenizer: %w", err)
			}
		}
		for _, tk := range toks {
			bs, be := sp.n.originalRange(tk.s, tk.e)
			bs, be = bs+base, be+base
			e.appendToken(tk.id, tk.value, conv.convert(bs, be), [2]int{bs, be}, typeID, word+int32(idx), typeID, 0)
		}
	}
	return int32(len(pt.splits)), nil
}

// charConverter turns byte offsets of the original text into character
// offsets exactly like the Rust BytesToCharOffsetConverter (which leaves
// offsets it cannot convert in bytes).
type charConverter struct {
	n       int
	charIdx []int32 // nil when the text is ASCII (identity)
}

func newCharConverter(s string) charConverter {
	c := charConverter{n: len(s)}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return c
	}
	c.charIdx = make([]int32, len(s))
	ci := int32(0)
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		for j := 0; j < size; j++ {
			c.charIdx[i+j] = ci
		}
		ci++
		i += size
	}
	return c
}

func (c charConverter) at(b int) (int, bool) {
	if b < 0 || b >= c.n {
		return 0, false
	}
	if c.charIdx == nil {
		return b, true
	}
	return int(c.charIdx[b]), true
}

func (c charConverter) convert(s, e int) [2]int {
	cs, ok := c.at(s)
	if !ok {
		return [2]int{s, e}
	}
	if ce, ok := c.at(e); ok {
		return [2]int{cs, ce}
	}
	if last, ok := c.at(e - 1); ok {
		return [2]int{cs, last + 1}
	}
	return [2]int{cs, cs + 2}
}

// Decode turns ids back into text; unknown ids are skipped, and special
// tokens too when skipSpecial is set.
func (t *Tokenizer) Decode(ids []int32, skipSpecial bool) (string, error) {
	toks := t.idsToTokens(ids, skipSpecial)
	if t.decoder == nil {
		return strings.Join(toks, " "), nil
	}
	parts, err := t.decoder.decodeChain(toks)
	if err != nil {
		return "", fmt.Errorf("tokenizer: decoding: %w", err)
	}
	return strings.Join(parts, ""), nil
}

func (t *Tokenizer) idsToTokens(ids []int32, skipSpecial bool) []string {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		tok, ok := t.IDToToken(id)
		if !ok || (skipSpecial && t.added.special[tok]) {
			continue
		}
		toks = append(toks, tok)
	}
	return toks
}
