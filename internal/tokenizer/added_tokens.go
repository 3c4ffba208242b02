package tokenizer

import (
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// AddedToken is an entry of tokenizer.json's "added_tokens": a token matched
// in the raw text before the rest of the pipeline runs.
type AddedToken struct {
	ID      int32  `json:"id"`
	Content string `json:"content"`
	// SingleWord only matches when not surrounded by word characters.
	SingleWord bool `json:"single_word"`
	// LStrip and RStrip absorb the whitespace on that side of the token.
	LStrip bool `json:"lstrip"`
	RStrip bool `json:"rstrip"`
	// Normalized tokens are matched in the normalized text.
	Normalized bool `json:"normalized"`
	// Special tokens are skipped when decoding with skipSpecial.
	Special bool `json:"special"`
}

func (a AddedToken) sameAs(b AddedToken) bool {
	return a.Content == b.Content && a.SingleWord == b.SingleWord && a.LStrip == b.LStrip &&
		a.RStrip == b.RStrip && a.Normalized == b.Normalized && a.Special == b.Special
}

// addedVocab is the Rust AddedVocabulary: the added tokens, their ids and
// the two matchers (raw text and normalized text).
type addedVocab struct {
	toID    map[string]int32
	byID    map[int32]AddedToken
	special map[string]bool
	raw     tokenTrie // tokens with normalized == false
	norm    tokenTrie // tokens with normalized == true, normalized
	// specials and classic are the special and other tokens in file order.
	specials []AddedToken
	classic  []AddedToken
}

// buildAddedVocab adds the tokens one by one, as the Rust deserializer does,
// assigning ids from the model vocabulary or after it.
func buildAddedVocab(tokens []AddedToken, m model, n normalizer) (*addedVocab, error) {
	v := &addedVocab{toID: map[string]int32{}, byID: map[int32]AddedToken{}, special: map[string]bool{}}
	for _, t := range tokens {
		if t.Special && t.Content != "" && !v.special[t.Content] {
			v.specials = append(v.specials, t)
			v.special[t.Content] = true
		}
		if t.Content == "" {
			continue
		}
		dup := false
		for _, old := range v.byID {
			if old.sameAs(t) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		id, ok := v.toID[t.Content]
		if !ok {
			id, ok = m.tokenToID(t.Content)
		}
		if !ok {
			size := int32(m.vocabSize())
			id = size
			if len(v.toID) > 0 {
				maxID := int32(-1)
				for _, x := range v.toID {
					if x > maxID {
						maxID = x
					}
				}
				if maxID >= size || size == 0 {
					id = maxID + 1
				}
			}
		}
		v.toID[t.Content] = id
		t.ID = id
		v.byID[id] = t
		if !v.special[t.Content] {
			v.classic = append(v.classic, t)
		}
	}
	seen := map[string]bool{}
	for _, t := range append(append([]AddedToken{}, v.specials...), v.classic...) {
		if seen[t.Content] {
			continue
		}
		seen[t.Content] = true
		id := v.toID[t.Content]
		if !t.Normalized {
			v.raw.insert(t.Content, id)
			continue
		}
		content := t.Content
		if n != nil {
			nn := newNormalized(content)
			if err := n.normalize(&nn); err != nil {
				return nil, fmt.Errorf("normalizing added token %q: %w", content, err)
			}
			content = nn.text
		}
		v.norm.insert(content, id)
	}
	return v, nil
}

// parseAddedTokens reads the "added_tokens" list.
func parseAddedTokens(raw json.RawMessage) ([]AddedToken, error) {
	if isNull(raw) {
		return nil, nil
	}
	var list []struct {
		ID         *int64  `json:"id"`
		Content    *string `json:"content"`
		SingleWord bool    `json:"single_word"`
		LStrip     bool    `json:"lstrip"`
		RStrip     bool    `json:"rstrip"`
		Normalized *bool   `json:"normalized"`
		Special    bool    `json:"special"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("added_tokens: %w", err)
	}
	out := make([]AddedToken, len(list))
	for i, t := range list {
		if t.Content == nil {
			return nil, fmt.Errorf("added_tokens[%d]: missing \"content\"", i)
		}
		if t.ID != nil && (*t.ID < 0 || *t.ID > 1<<31-1) {
			return nil, fmt.Errorf("added_tokens[%d]: id %d out of range", i, *t.ID)
		}
		out[i] = AddedToken{Content: *t.Content, SingleWord: t.SingleWord, LStrip: t.LStrip, RStrip: t.RStrip,
			Normalized: boolOr(t.Normalized, !t.Special), Special: t.Special}
		if t.ID != nil {
			out[i].ID = int32(*t.ID)
		}
	}
	return out, nil
}

// tokenTrie finds added tokens leftmost-longest, like Aho-Corasick with
// MatchKind::LeftmostLongest.
type tokenTrie struct {
	t pieceTrie
}

func (t *tokenTrie) insert(s string, id int32) {
	if s == "" {
		return
	}
	t.t.insert(s, id)
}

// longestAt returns the id and length of the longest token starting at s[0].
func (t *tokenTrie) longestAt(s string) (int32, int) {
	best, bestLen := int32(-1), 0
	t.t.prefixes(s, func(n int, id int32) { best, bestLen = id, n })
	return best, bestLen
}

type addedMatch struct {
	id   int32 // -1 for plain text
	s, e int
}

// findMatches cuts the sentence into added tokens and the text between them,
// applying single_word, lstrip and rstrip.
func (v *addedVocab) findMatches(sentence string, trie *tokenTrie) []addedMatch {
	if sentence == "" || len(trie.t.nodes) == 0 {
		return []addedMatch{{-1, 0, len(sentence)}}
	}
	var out []addedMatch
	startOffset := 0
	for i := 0; i < len(sentence); {
		if trie.t.root[sentence[i]] == 0 {
			i++
			continue
		}
		id, n := trie.longestAt(sentence[i:])
		if n == 0 {
			i++
			continue
		}
		start, stop := i, i+n
		i = stop
		tok := v.byID[id]
		if tok.SingleWord {
			startSpace := start == 0 || !endsWithWord(sentence[:start])
			stopSpace := stop == len(sentence) || !startsWithWord(sentence[stop:])
			if !startSpace || !stopSpace {
				continue
			}
		}
		if tok.LStrip {
			newStart := leftmostSpaceAtEnd(sentence[:start])
			start = max(newStart, startOffset)
		}
		if tok.RStrip {
			stop += rightmostSpaceAtStart(sentence[stop:])
		}
		if start < startOffset {
			// Only possible when an rstrip swallowed the start of this token.
			start = startOffset
		}
		if startOffset < start {
			out = append(out, addedMatch{-1, startOffset, start})
		}
		out = append(out, addedMatch{id, start, stop})
		startOffset = stop
		if i < stop {
			i = stop
		}
	}
	if startOffset != len(sentence) {
		out = append(out, addedMatch{-1, startOffset, len(sentence)})
	}
	return out
}

func endsWithWord(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && isWordChar(r)
}

func startsWithWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && isWordChar(r)
}

func leftmostSpaceAtEnd(s string) int {
	i := len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.IsSpace(r) {
			break
		}
		i -= size
	}
	return i
}

func rightmostSpaceAtStart(s string) int {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

// splitAdded cuts every untokenized piece with the trie; matched tokens
// become tokenized pieces.
func (v *addedVocab) splitAdded(p *preTokenized, trie *tokenTrie, n normalizer) error {
	out := make([]split, 0, len(p.splits))
	for _, s := range p.splits {
		if s.tokenized {
			out = append(out, s)
			continue
		}
		piece := s.n
		if n != nil {
			// The Rust library ignores normalizer errors here.
			_ = n.normalize(&piece)
		}
		for _, m := range v.findMatches(piece.text, trie) {
			part := piece.slice(m.s, m.e)
			if part.text == "" {
				continue
			}
			if m.id < 0 {
				out = append(out, split{n: part})
				continue
			}
			out = append(out, split{n: part, tokenized: true,
				tokens: []token{{id: m.id, value: part.text, s: 0, e: len(part.text)}}})
		}
	}
	p.splits = out
	return nil
}

// extract splits the added tokens off a sequence and normalizes the rest.
func (v *addedVocab) extract(sequence string, n normalizer) (*preTokenized, error) {
	p := &preTokenized{original: sequence, splits: []split{{n: newNormalized(sequence)}}}
	if err := v.splitAdded(p, &v.raw, nil); err != nil {
		return nil, err
	}
	if err := v.splitAdded(p, &v.norm, n); err != nil {
		return nil, err
	}
	return p, nil
}
