package tokenizer

import (
	"encoding/json"
	"fmt"
)

// model turns one pre-tokenized piece (a "word") into tokens whose offsets
// are byte ranges of that piece.
type model interface {
	tokenize(s string) ([]token, error)
	tokenToID(tok string) (int32, bool)
	idToToken(id int32) (string, bool)
	vocabSize() int
}

// parseModel builds the model from its tokenizer.json object. Old files
// without a "type" are recognised by their fields, as the Rust library does.
func parseModel(raw json.RawMessage) (model, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("model: missing")
	}
	fields, err := splitObject(raw)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	typ := ""
	if t, ok := fields["type"]; ok {
		if err := json.Unmarshal(t, &typ); err != nil {
			return nil, fmt.Errorf("model: type: %w", err)
		}
	} else {
		switch v := fields["vocab"]; {
		case fields["merges"] != nil:
			typ = "BPE"
		case len(v) > 0 && v[0] == '[':
			typ = "Unigram"
		case fields["max_input_chars_per_word"] != nil:
			typ = "WordPiece"
		default:
			typ = "WordLevel"
		}
	}
	switch typ {
	case "BPE":
		return parseBPE(fields)
	case "WordPiece":
		return parseWordPiece(fields)
	case "WordLevel":
		return parseWordLevel(fields)
	case "Unigram":
		return parseUnigram(fields)
	}
	return nil, fmt.Errorf("unsupported model type %q", typ)
}

// decodeFields decodes the small fields of a component into dst (a struct
// pointer), leaving out the big ones already handled.
func decodeFields(fields map[string]json.RawMessage, dst any, skip ...string) error {
	small := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		small[k] = v
	}
	for _, k := range skip {
		delete(small, k)
	}
	b, err := json.Marshal(small)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

// vocabulary maps tokens to ids and back.
type vocabulary struct {
	toID map[string]int32
	// dense holds the reverse mapping when ids are small; sparse otherwise.
	dense  []string
	has    []bool
	sparse map[int32]string
}

func newVocabulary(m map[string]int32) (*vocabulary, error) {
	v := &vocabulary{toID: m}
	maxID := int32(-1)
	for tok, id := range m {
		if id < 0 {
			return nil, fmt.Errorf("token %q has negative id %d", tok, id)
		}
		if id > maxID {
			maxID = id
		}
	}
	if int(maxID) < 2*len(m)+1024 {
		v.dense = make([]string, maxID+1)
		v.has = make([]bool, maxID+1)
		for tok, id := range m {
			// Several tokens with one id: the Rust map keeps an arbitrary
			// one; keep the smallest string for determinism.
			if v.has[id] && v.dense[id] < tok {
				continue
			}
			v.dense[id], v.has[id] = tok, true
		}
	} else {
		v.sparse = make(map[int32]string, len(m))
		for tok, id := range m {
			if old, ok := v.sparse[id]; ok && old < tok {
				continue
			}
			v.sparse[id] = tok
		}
	}
	return v, nil
}

func (v *vocabulary) token(id int32) (string, bool) {
	if v.dense != nil {
		if id < 0 || int(id) >= len(v.dense) || !v.has[id] {
			return "", false
		}
		return v.dense[id], true
	}
	s, ok := v.sparse[id]
	return s, ok
}

func (v *vocabulary) id(tok string) (int32, bool) {
	id, ok := v.toID[tok]
	return id, ok
}

// parseVocabMap reads a {"token": id} object.
func parseVocabMap(raw json.RawMessage) (map[string]int32, error) {
	return fastVocabMap(raw)
}
