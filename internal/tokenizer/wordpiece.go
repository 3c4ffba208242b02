package tokenizer

import (
	"fmt"
	"unicode/utf8"
)

// wordPiece is BERT's greedy longest-match-first model.
type wordPiece struct {
	vocab    *vocabulary
	unk      string
	prefix   string
	maxChars int
}

func parseWordPiece(mf *modelFields) (*wordPiece, error) {
	var c struct {
		Unk      *string `json:"unk_token"`
		Prefix   *string `json:"continuing_subword_prefix"`
		MaxChars *int    `json:"max_input_chars_per_word"`
	}
	if err := decodeFields(mf.raw, &c, "vocab"); err != nil {
		return nil, fmt.Errorf("model WordPiece: %w", err)
	}
	v, err := mf.vocabulary()
	if err != nil {
		return nil, fmt.Errorf("model WordPiece: %w", err)
	}
	w := &wordPiece{vocab: v, unk: "[UNK]", prefix: "##", maxChars: 100}
	if c.Unk != nil {
		w.unk = *c.Unk
	}
	if c.Prefix != nil {
		w.prefix = *c.Prefix
	}
	if c.MaxChars != nil {
		w.maxChars = *c.MaxChars
	}
	return w, nil
}

func (m *wordPiece) vocabSize() int                     { return len(m.vocab.toID) }
func (m *wordPiece) tokenToID(tok string) (int32, bool) { return m.vocab.id(tok) }
func (m *wordPiece) idToToken(id int32) (string, bool)  { return m.vocab.token(id) }

func (m *wordPiece) unkToken(n int) ([]token, error) {
	id, ok := m.vocab.id(m.unk)
	if !ok {
		return nil, fmt.Errorf("WordPiece: unk token %q is not in the vocabulary", m.unk)
	}
	return []token{{id: id, value: m.unk, s: 0, e: n}}, nil
}

func (m *wordPiece) tokenize(s string) ([]token, error) {
	if utf8.RuneCountInString(s) > m.maxChars {
		return m.unkToken(len(s))
	}
	var out []token
	buf := make([]byte, 0, len(m.prefix)+len(s))
	for start := 0; start < len(s); {
		end := len(s)
		found := false
		for start < end {
			var id int32
			var ok bool
			var sub string
			if start > 0 {
				buf = append(append(buf[:0], m.prefix...), s[start:end]...)
				if id, ok = m.vocab.toID[string(buf)]; ok {
					sub = string(buf)
				}
			} else {
				sub = s[start:end]
				id, ok = m.vocab.toID[sub]
			}
			if ok {
				out = append(out, token{id: id, value: sub, s: start, e: end})
				found = true
				break
			}
			_, size := utf8.DecodeLastRuneInString(s[start:end])
			end -= size
		}
		if !found {
			return m.unkToken(len(s))
		}
		start = end
	}
	return out, nil
}
