package tokenizer

import (
	"errors"
	"strings"
)

// DecodeStream turns generated ids into text incrementally, like the Rust
// library's DecodeStream: Step returns a fragment only once it is complete
// text (no dangling partial UTF-8 character shown as U+FFFD), and decoders
// that depend on context (leading-space stripping, byte fallback) behave as
// when decoding the whole sequence. It keeps a short window of ids, so its
// cost per step does not grow with the length of the generation.
// A DecodeStream is not safe for concurrent use.
type DecodeStream struct {
	t           *Tokenizer
	skipSpecial bool
	ids         []int32
	prefix      string
	prefixIndex int
}

// ErrInvalidPrefix means the decoder produced text that does not extend the
// text already returned, so the stream cannot continue.
var ErrInvalidPrefix = errors.New("tokenizer: decode stream: text does not extend the previous prefix")

// NewDecodeStream starts a stream; skipSpecial drops special tokens.
func (t *Tokenizer) NewDecodeStream(skipSpecial bool) *DecodeStream {
	return &DecodeStream{t: t, skipSpecial: skipSpecial}
}

// Step adds one id and returns the new text, with ok false when nothing can
// be shown yet.
func (d *DecodeStream) Step(id int32) (text string, ok bool, err error) {
	if d.prefix == "" && len(d.ids) > 0 {
		p, err := d.t.Decode(d.ids, d.skipSpecial)
		if err != nil {
			return "", false, err
		}
		if !strings.HasSuffix(p, "\uFFFD") {
			d.prefix, d.prefixIndex = p, len(d.ids)
		}
	}
	d.ids = append(d.ids, id)
	s, err := d.t.Decode(d.ids, d.skipSpecial)
	if err != nil {
		return "", false, err
	}
	if len(s) <= len(d.prefix) || strings.HasSuffix(s, "\uFFFD") {
		return "", false, nil
	}
	if !strings.HasPrefix(s, d.prefix) {
		return "", false, ErrInvalidPrefix
	}
	newText := s[len(d.prefix):]
	newPrefixIndex := len(d.ids) - d.prefixIndex
	d.ids = append(d.ids[:0], d.ids[d.prefixIndex:]...)
	if d.prefix, err = d.t.Decode(d.ids, d.skipSpecial); err != nil {
		return "", false, err
	}
	d.prefixIndex = newPrefixIndex
	return newText, true, nil
}
