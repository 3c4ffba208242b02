package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// unigram is SentencePiece's unigram language model, decoded with Viterbi.
type unigram struct {
	pieces       []string
	scores       []float64
	toID         map[string]int32
	unkID        int32 // -1 when absent
	byteFallback bool
	minScore     float64
	trie         pieceTrie
}

// unkPenalty is subtracted from the lowest piece score to score unknown characters.
const unkPenalty = 10.0

func parseUnigram(fields map[string]json.RawMessage) (*unigram, error) {
	var c struct {
		UnkID        *int64 `json:"unk_id"`
		ByteFallback bool   `json:"byte_fallback"`
	}
	if err := decodeFields(fields, &c, "vocab"); err != nil {
		return nil, fmt.Errorf("model Unigram: %w", err)
	}
	pieces, scores, err := fastUnigramVocab(fields["vocab"])
	if err != nil {
		return nil, fmt.Errorf("model Unigram: %w", err)
	}
	u := &unigram{unkID: -1, byteFallback: c.ByteFallback, toID: make(map[string]int32, len(pieces)), minScore: math.Inf(1)}
	u.pieces, u.scores = pieces, scores
	for i := range pieces {
		u.toID[u.pieces[i]] = int32(i)
		u.trie.insert(u.pieces[i], int32(i))
		if u.scores[i] < u.minScore {
			u.minScore = u.scores[i]
		}
	}
	if c.UnkID != nil {
		if len(pieces) == 0 {
			return nil, fmt.Errorf("model Unigram: empty vocabulary")
		}
		if *c.UnkID < 0 || *c.UnkID >= int64(len(pieces)) {
			return nil, fmt.Errorf("model Unigram: unk_id %d is not in the vocabulary", *c.UnkID)
		}
		u.unkID = int32(*c.UnkID)
	}
	return u, nil
}

func (m *unigram) vocabSize() int { return len(m.pieces) }
func (m *unigram) tokenToID(tok string) (int32, bool) {
	id, ok := m.toID[tok]
	return id, ok
}
func (m *unigram) idToToken(id int32) (string, bool) {
	if id < 0 || int(id) >= len(m.pieces) {
		return "", false
	}
	return m.pieces[id], true
}

type bestPath struct {
	id       int32
	score    float64
	startsAt int // -1: not reached
}

// encode is the Viterbi search over the lattice of vocabulary pieces
// (SentencePiece's optimized encoder, as ported by the Rust library); runs
// of unknown characters are fused into one piece.
func (m *unigram) encode(s string) ([]string, error) {
	best := make([]bestPath, len(s)+1)
	for i := range best {
		best[i].startsAt = -1
	}
	unkScore := m.minScore - unkPenalty
	for start := 0; start < len(s); {
		base := best[start].score
		_, mblen := utf8.DecodeRuneInString(s[start:])
		single := false
		var err error
		m.trie.prefixes(s[start:], func(n int, id int32) {
			end := start + n
			cand := m.scores[id] + base
			t := &best[end]
			if t.startsAt < 0 || cand > t.score {
				t.score, t.startsAt, t.id = cand, start, id
			}
			if n == mblen {
				single = true
			}
		})
		if err != nil {
			return nil, err
		}
		if !single {
			if m.unkID < 0 {
				return nil, fmt.Errorf("Unigram: %q is not in the vocabulary and there is no unk_id", s[start:start+mblen])
			}
			t := &best[start+mblen]
			cand := unkScore + base
			if t.startsAt < 0 || cand > t.score {
				t.score, t.startsAt, t.id = cand, start, m.unkID
			}
		}
		start += mblen
	}
	var out []string
	unkEnd := -1 // end of a pending run of unknown pieces
	for end := len(s); end > 0; {
		node := best[end]
		start := node.startsAt
		if start < 0 {
			return nil, fmt.Errorf("Unigram: no segmentation for %q", s)
		}
		if m.unkID >= 0 && node.id == m.unkID {
			if unkEnd < 0 {
				unkEnd = end
			}
		} else {
			if unkEnd >= 0 {
				out = append(out, s[end:unkEnd])
				unkEnd = -1
			}
			out = append(out, s[start:end])
		}
		end = start
	}
	if unkEnd >= 0 {
		out = append(out, s[0:unkEnd])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func (m *unigram) tokenize(s string) ([]token, error) {
	if s == "" {
		return nil, nil
	}
	pieces, err := m.encode(s)
	if err != nil {
		return nil, err
	}
	out := make([]token, 0, len(pieces))
	offset := 0
	for _, p := range pieces {
		n := len(p)
		id, ok := m.toID[p]
		if !ok {
			if m.byteFallback {
				all := true
				for i := 0; i < n; i++ {
					if _, ok := m.toID[fmt.Sprintf("<0x%02X>", p[i])]; !ok {
						all = false
						break
					}
				}
				if all {
					for i := 0; i < n; i++ {
						bs := fmt.Sprintf("<0x%02X>", p[i])
						out = append(out, token{id: m.toID[bs], value: bs, s: offset, e: offset + n})
					}
					offset += n
					continue
				}
			}
			if m.unkID < 0 {
				return nil, fmt.Errorf("Unigram: %q is not in the vocabulary and there is no unk_id", p)
			}
			id = m.unkID
		}
		out = append(out, token{id: id, value: p, s: offset, e: offset + n})
		offset += n
	}
	return out, nil
}

// pieceTrie is a byte trie of the vocabulary for common-prefix search.
type pieceTrie struct {
	root  [256]int32 // child node index+1 of the root per byte, 0 when none
	nodes []trieNode
}

type trieNode struct {
	id    int32 // piece id ending here, -1 when none
	edges []trieEdge
}

type trieEdge struct {
	b  byte
	to int32
}

func (t *pieceTrie) child(node int32, b byte) int32 {
	if node < 0 {
		return t.root[b] - 1
	}
	for _, e := range t.nodes[node].edges {
		if e.b == b {
			return e.to
		}
	}
	return -1
}

func (t *pieceTrie) insert(s string, id int32) {
	if s == "" {
		return
	}
	node := int32(-1)
	for i := 0; i < len(s); i++ {
		c := t.child(node, s[i])
		if c < 0 {
			t.nodes = append(t.nodes, trieNode{id: -1})
			c = int32(len(t.nodes) - 1)
			if node < 0 {
				t.root[s[i]] = c + 1
			} else {
				t.nodes[node].edges = append(t.nodes[node].edges, trieEdge{s[i], c})
			}
		}
		node = c
	}
	// Later duplicates win, like the Rust token-to-id map.
	t.nodes[node].id = id
}

// prefixes calls f for every vocabulary piece that is a prefix of s,
// shortest first.
func (t *pieceTrie) prefixes(s string, f func(n int, id int32)) {
	node := int32(-1)
	for i := 0; i < len(s); i++ {
		node = t.child(node, s[i])
		if node < 0 {
			return
		}
		if id := t.nodes[node].id; id >= 0 {
			f(i+1, id)
		}
	}
}
