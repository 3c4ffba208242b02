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

// modelFields are a model object's raw fields plus the big ones already
// parsed in the same pass as the rest of the document (nil when not).
type modelFields struct {
	raw    map[string]json.RawMessage
	vocab  *pendingVocab // from a {"token": id} vocab, built in the background
	merges *mergeTokens  // nil when not parsed yet
}

// scanModel reads the model object at the scanner's position, parsing a
// vocab map and the merges on the way.
func (s *jsonScanner) scanModel() (*modelFields, error) {
	mf := &modelFields{}
	raw, err := s.fields(func(k string) (bool, error) {
		var err error
		switch {
		case k == "vocab" && s.peek() == '{':
			if mf.vocab, err = s.vocabMap(); err != nil {
				return true, fmt.Errorf("vocab: %w", err)
			}
			mf.vocab.start()
			return true, nil
		case k == "merges" && s.peek() == '[':
			mf.merges, err = s.merges()
			return true, err
		}
		// A later duplicate key wins, as with encoding/json.
		switch k {
		case "vocab":
			mf.vocab = nil
		case "merges":
			mf.merges = nil
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	mf.raw = raw
	return mf, nil
}

// vocabulary returns the {"token": id} vocab, parsing it if needed.
func (mf *modelFields) vocabulary() (*vocabulary, error) {
	if mf.vocab != nil {
		return mf.vocab.wait()
	}
	return fastVocabMap(mf.raw["vocab"])
}

// mergeList returns the merges, parsing them if needed.
func (mf *modelFields) mergeList() (*mergeTokens, error) {
	if mf.merges != nil {
		return mf.merges, nil
	}
	return fastMerges(mf.raw["merges"])
}

// parseModel builds the model from its tokenizer.json object. Old files
// without a "type" are recognised by their fields, as the Rust library does.
func parseModel(raw json.RawMessage) (model, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("model: missing")
	}
	s := &jsonScanner{data: raw}
	mf, err := s.scanModel()
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return buildModel(mf)
}

// buildModel builds the model from its fields.
func buildModel(mf *modelFields) (model, error) {
	fields := mf.raw
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
		return parseBPE(mf)
	case "WordPiece":
		return parseWordPiece(mf)
	case "WordLevel":
		return parseWordLevel(mf)
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
	toks := make([]string, 0, len(m))
	ids := make([]int32, 0, len(m))
	for tok, id := range m {
		toks, ids = append(toks, tok), append(ids, id)
	}
	return newVocabularyOrdered(m, toks, ids)
}

// newVocabularyOrdered builds the vocabulary from m and the same entries
// as parallel slices, which are much faster to walk than the map.
func newVocabularyOrdered(m map[string]int32, toks []string, ids []int32) (*vocabulary, error) {
	v := &vocabulary{toID: m}
	maxID := int32(-1)
	for i, id := range ids {
		if id < 0 {
			return nil, fmt.Errorf("token %q has negative id %d", toks[i], id)
		}
		maxID = max(maxID, id)
	}
	if int(maxID) < 2*len(m)+1024 {
		v.dense = make([]string, maxID+1)
		v.has = make([]bool, maxID+1)
		for i, id := range ids {
			// Several tokens with one id: the Rust map keeps an arbitrary
			// one; keep the smallest string for determinism.
			if v.has[id] && v.dense[id] < toks[i] {
				continue
			}
			v.dense[id], v.has[id] = toks[i], true
		}
	} else {
		v.sparse = make(map[int32]string, len(m))
		for i, id := range ids {
			if old, ok := v.sparse[id]; ok && old < toks[i] {
				continue
			}
			v.sparse[id] = toks[i]
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
