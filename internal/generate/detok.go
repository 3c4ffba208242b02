package generate

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Detokenizer turns token ids into text. internal/tokenizer's tokenizers
// satisfy it; the package asks for nothing more so that it does not depend
// on them.
type Detokenizer interface {
	// Decode returns the text of ids, leaving out special tokens when
	// skipSpecial is set. Bytes that do not form valid UTF-8 decode to
	// U+FFFD, as Hugging Face tokenizers do.
	Decode(ids []int32, skipSpecial bool) (string, error)
}

// contextTokens is how many tokens before the first new one are decoded
// with it, so that decoders that look at their neighbours (SentencePiece
// stripping a leading space, byte-level merges) see the same context as in
// the full text. vLLM uses 5 as well.
const contextTokens = 5

// replacement is what decoders produce for incomplete UTF-8.
const replacement = "\uFFFD"

// IncrementalDecoder turns a stream of token ids into a stream of text
// pieces whose concatenation is the decoded text, emitting a piece only
// once it is complete: a token whose text ends in U+FFFD (the first bytes
// of a character split over byte-fallback tokens) is held back until a
// later token completes it. It keeps two offsets into the ids, as TGI's and
// vLLM's incremental detokenizers do: the text of ids[prefix:read] has been
// emitted already, and ids[read:] are pending. It is not safe for
// concurrent use.
type IncrementalDecoder struct {
	d           Detokenizer
	skipSpecial bool
	ids         []int32
	prefix      int    // start of the decoding window
	read        int    // end of the emitted tokens
	prefixText  string // decode(ids[prefix:read]), kept between calls
}

// NewIncrementalDecoder starts decoding after context (the prompt, usually),
// whose text is not emitted but whose last tokens give the first new ones
// their context.
func NewIncrementalDecoder(d Detokenizer, context []int32, skipSpecial bool) (*IncrementalDecoder, error) {
	ctx := context[max(0, len(context)-contextTokens):]
	x := &IncrementalDecoder{d: d, skipSpecial: skipSpecial, ids: append([]int32(nil), ctx...), read: len(ctx)}
	text, err := x.decode(0, x.read)
	if err != nil {
		return nil, err
	}
	x.prefixText = text
	return x, nil
}

// Add appends a token and returns the text that became complete, which may
// be empty.
func (x *IncrementalDecoder) Add(id int32) (string, error) {
	x.ids = append(x.ids, id)
	text, err := x.decode(x.prefix, len(x.ids))
	if err != nil {
		return "", err
	}
	if len(text) <= len(x.prefixText) || strings.HasSuffix(text, replacement) {
		return "", nil
	}
	return x.advance(text)
}

// Flush returns whatever text is still held back, complete or not: the
// sequence has ended and nothing will complete it.
func (x *IncrementalDecoder) Flush() (string, error) {
	if x.read == len(x.ids) {
		return "", nil
	}
	text, err := x.decode(x.prefix, len(x.ids))
	if err != nil {
		return "", err
	}
	return x.advance(text)
}

// advance emits the part of text (the window's decoding) beyond the
// emitted prefix and moves the window past it.
func (x *IncrementalDecoder) advance(text string) (string, error) {
	var delta string
	if strings.HasPrefix(text, x.prefixText) {
		delta = text[len(x.prefixText):]
	} else {
		// The new token changed how the window's start decodes (say, it
		// completed a character the context left unfinished). Emit from
		// where the texts part, never re-emitting what matched.
		delta = text[commonPrefix(text, x.prefixText):]
	}
	// The next window starts at the old read offset. Its text is decoded
	// afresh rather than taken from delta: decoded alone, its first token
	// may lose a leading space (SentencePiece's Strip decoder).
	prefixText, err := x.decode(x.read, len(x.ids))
	if err != nil {
		return "", err
	}
	x.prefix, x.read, x.prefixText = x.read, len(x.ids), prefixText
	if x.prefix > 4*contextTokens { // keep the buffer short on long generations
		n := copy(x.ids, x.ids[x.prefix:])
		x.ids = x.ids[:n]
		x.read -= x.prefix
		x.prefix = 0
	}
	return delta, nil
}

// decode decodes ids[from:to].
func (x *IncrementalDecoder) decode(from, to int) (string, error) {
	if from == to {
		return "", nil
	}
	s, err := x.d.Decode(x.ids[from:to], x.skipSpecial)
	if err != nil {
		return "", fmt.Errorf("generate: detokenize: %w", err)
	}
	return s, nil
}

// commonPrefix is the length in bytes of the longest common prefix of a
// and b that ends on a character boundary of a.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	for n > 0 && n < len(a) && !utf8.RuneStart(a[n]) {
		n--
	}
	return n
}
