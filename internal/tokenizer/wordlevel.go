package tokenizer

import (
	"fmt"
)

// wordLevel maps each whole piece to an id, or to the unknown token.
type wordLevel struct {
	vocab *vocabulary
	unk   string
}

func parseWordLevel(mf *modelFields) (*wordLevel, error) {
	var c struct {
		Unk *string `json:"unk_token"`
	}
	if err := decodeFields(mf.raw, &c, "vocab"); err != nil {
		return nil, fmt.Errorf("model WordLevel: %w", err)
	}
	v, err := mf.vocabulary()
	if err != nil {
		return nil, fmt.Errorf("model WordLevel: %w", err)
	}
	w := &wordLevel{vocab: v, unk: "<unk>"}
	if c.Unk != nil {
		w.unk = *c.Unk
	}
	return w, nil
}

func (m *wordLevel) vocabSize() int                     { return len(m.vocab.toID) }
func (m *wordLevel) tokenToID(tok string) (int32, bool) { return m.vocab.id(tok) }
func (m *wordLevel) idToToken(id int32) (string, bool)  { return m.vocab.token(id) }

func (m *wordLevel) tokenize(s string) ([]token, error) {
	if id, ok := m.vocab.id(s); ok {
		return []token{{id: id, value: s, s: 0, e: len(s)}}, nil
	}
	if id, ok := m.vocab.id(m.unk); ok {
		return []token{{id: id, value: m.unk, s: 0, e: len(s)}}, nil
	}
	return nil, fmt.Errorf("WordLevel: %q is not in the vocabulary and unk token %q is missing", s, m.unk)
}
