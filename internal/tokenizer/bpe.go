package tokenizer

import (
	"fmt"
	"runtime"
	"sync"
	"unicode/utf8"
)

// bpe is the byte-pair-encoding model.
type bpe struct {
	vocab   *vocabulary
	merges  map[uint64]bpeMerge
	unk     *string
	prefix  *string // continuing_subword_prefix
	suffix  *string // end_of_word_suffix
	fuseUnk bool
	// byteFallback uses <0xNN> tokens for characters outside the vocabulary.
	byteFallback bool
	ignoreMerges bool
	byteIDs      [256]int32 // id of <0xNN>, -1 when absent
	cache        *wordCache
}

type bpeMerge struct{ rank, newID int32 }

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func parseBPE(mf *modelFields) (*bpe, error) {
	var c struct {
		Unk          *string  `json:"unk_token"`
		Prefix       *string  `json:"continuing_subword_prefix"`
		Suffix       *string  `json:"end_of_word_suffix"`
		FuseUnk      bool     `json:"fuse_unk"`
		ByteFallback bool     `json:"byte_fallback"`
		IgnoreMerges bool     `json:"ignore_merges"`
		Dropout      *float64 `json:"dropout"`
	}
	if err := decodeFields(mf.raw, &c, "vocab", "merges"); err != nil {
		return nil, fmt.Errorf("model BPE: %w", err)
	}
	if c.Dropout != nil && (*c.Dropout < 0 || *c.Dropout > 1) {
		return nil, fmt.Errorf("model BPE: dropout %v must be between 0 and 1", *c.Dropout)
	}
	v, err := mf.vocabulary()
	if err != nil {
		return nil, fmt.Errorf("model BPE: %w", err)
	}
	vm := v.toID
	pairs, err := mf.mergeList()
	if err != nil {
		return nil, fmt.Errorf("model BPE: %w", err)
	}
	m := &bpe{
		vocab: v, unk: c.Unk, prefix: c.Prefix, suffix: c.Suffix,
		fuseUnk: c.FuseUnk, byteFallback: c.ByteFallback, ignoreMerges: c.IgnoreMerges,
		merges: make(map[uint64]bpeMerge, pairs.len()),
		cache:  newWordCache(),
	}
	prefixLen := 0
	if c.Prefix != nil {
		prefixLen = len(*c.Prefix)
	}
	resolved, err := resolveMerges(v, pairs, prefixLen)
	if err != nil {
		return nil, fmt.Errorf("model BPE: %w", err)
	}
	for i, r := range resolved {
		// Later duplicates win, as when Rust collects into a map.
		m.merges[r.key] = bpeMerge{int32(i), r.id}
	}
	for b := 0; b < 256; b++ {
		m.byteIDs[b] = -1
		if id, ok := vm[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteIDs[b] = id
		}
	}
	return m, nil
}

func (m *bpe) vocabSize() int                     { return len(m.vocab.toID) }
func (m *bpe) tokenToID(tok string) (int32, bool) { return m.vocab.id(tok) }
func (m *bpe) idToToken(id int32) (string, bool)  { return m.vocab.token(id) }

func (m *bpe) tokenize(s string) ([]token, error) {
	if s == "" {
		return nil, nil
	}
	if m.ignoreMerges {
		if id, ok := m.vocab.id(s); ok {
			return []token{{id: id, value: m.tokenValue(id), s: 0, e: len(s)}}, nil
		}
	}
	syms, ok := m.cache.get(s)
	if !ok {
		var err error
		syms, err = m.mergeWord(s)
		if err != nil {
			return nil, err
		}
		m.cache.put(s, syms)
	}
	out := make([]token, len(syms))
	pos := 0
	for i, sy := range syms {
		out[i] = token{id: sy.id, value: m.tokenValue(sy.id), s: pos, e: pos + int(sy.len)}
		pos += int(sy.len)
	}
	return out, nil
}

func (m *bpe) tokenValue(id int32) string {
	s, _ := m.vocab.token(id)
	return s
}

// wordSymbol is one token of a merged word: its id and byte length.
type wordSymbol struct {
	id  int32
	len int32
}

// mergeWord splits s into characters (or byte-fallback / unknown tokens)
// and applies the merges, lowest rank first, leftmost first.
func (m *bpe) mergeWord(s string) ([]wordSymbol, error) {
	syms := make([]wordSymbol, 0, len(s))
	var unkID, unkLen int32
	hasUnk := false
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		isFirst, isLast := i == 0, i+size == len(s)
		if !isFirst && m.prefix != nil && *m.prefix != "" {
			piece = *m.prefix + piece
		}
		if isLast && m.suffix != nil && *m.suffix != "" {
			piece += *m.suffix
		}
		byteLen := int32(size)
		i += size
		if id, ok := m.vocab.id(piece); ok {
			if hasUnk {
				syms = append(syms, wordSymbol{unkID, unkLen})
				hasUnk = false
			}
			syms = append(syms, wordSymbol{id, byteLen})
			continue
		}
		if m.byteFallback {
			all := true
			for j := 0; j < len(piece); j++ {
				if m.byteIDs[piece[j]] < 0 {
					all = false
					break
				}
			}
			if all {
				for j := 0; j < len(piece); j++ {
					syms = append(syms, wordSymbol{m.byteIDs[piece[j]], 1})
				}
				continue
			}
		}
		if m.unk == nil {
			continue // Rust drops the character silently
		}
		id, ok := m.vocab.id(*m.unk)
		if !ok {
			return nil, fmt.Errorf("BPE: unk token %q is not in the vocabulary", *m.unk)
		}
		switch {
		case hasUnk && m.fuseUnk:
			unkLen += byteLen
		case hasUnk:
			syms = append(syms, wordSymbol{unkID, unkLen})
			unkID, unkLen = id, byteLen
		default:
			unkID, unkLen, hasUnk = id, byteLen, true
		}
	}
	if hasUnk {
		syms = append(syms, wordSymbol{unkID, unkLen})
	}
	return m.mergeAll(syms), nil
}

// mergeAll is the Rust Word::merge_all: a priority queue of candidate
// merges ordered by (rank, position); stale entries are skipped when the pair
// at that position no longer produces the same token.
func (m *bpe) mergeAll(syms []wordSymbol) []wordSymbol {
	n := len(syms)
	if n < 2 || len(m.merges) == 0 {
		return syms
	}
	prev := make([]int32, n)
	next := make([]int32, n)
	for i := range syms {
		prev[i] = int32(i - 1)
		next[i] = int32(i + 1)
	}
	next[n-1] = -1
	h := mergeHeap(make([]mergeItem, 0, n))
	for i := 0; i+1 < n; i++ {
		if mg, ok := m.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			h.push(mergeItem{pos: int32(i), rank: mg.rank, newID: mg.newID})
		}
	}
	for len(h) > 0 {
		top := h.pop()
		pos := top.pos
		if syms[pos].len == 0 || next[pos] == -1 {
			continue
		}
		np := next[pos]
		right := syms[np]
		if mg, ok := m.merges[pairKey(syms[pos].id, right.id)]; !ok || mg.newID != top.newID {
			continue
		}
		syms[pos].id = top.newID
		syms[pos].len += right.len
		next[pos] = next[np]
		syms[np].len = 0
		if nn := next[np]; nn >= 0 && int(nn) < n {
			prev[nn] = pos
		}
		if p := prev[pos]; p >= 0 {
			if mg, ok := m.merges[pairKey(syms[p].id, syms[pos].id)]; ok {
				h.push(mergeItem{pos: p, rank: mg.rank, newID: mg.newID})
			}
		}
		if nx := next[pos]; nx >= 0 && int(nx) < n {
			if mg, ok := m.merges[pairKey(syms[pos].id, syms[nx].id)]; ok {
				h.push(mergeItem{pos: pos, rank: mg.rank, newID: mg.newID})
			}
		}
	}
	out := syms[:0]
	for _, s := range syms {
		if s.len != 0 {
			out = append(out, s)
		}
	}
	return out
}

type mergeItem struct{ pos, rank, newID int32 }

// mergeHeap is a binary min-heap on (rank, pos).
type mergeHeap []mergeItem

func (a mergeItem) less(b mergeItem) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

func (h *mergeHeap) push(x mergeItem) {
	*h = append(*h, x)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].less(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *mergeHeap) pop() mergeItem {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		c := l
		if r := l + 1; r < len(s) && s[r].less(s[l]) {
			c = r
		}
		if !s[c].less(s[i]) {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}

// resolvedMerge is one merge as ids: the pair's key and the merged token.
type resolvedMerge struct {
	key uint64
	id  int32
}

// mergesPerWorker is the smallest share of merges worth a goroutine.
const mergesPerWorker = 16 << 10

// resolveMerges looks up the ids of every merge's tokens. It is up to three
// random map lookups per merge, bound by memory latency, so big merge lists
// are split over the CPUs (the map is only read). Most files number merged
// tokens in merge order (id = first merged id + rank): that guess is checked
// against the id-to-token table, which is cheap, before any map lookup.
// The error reported is the one of the first bad merge, as a sequential
// loop would report.
func resolveMerges(v *vocabulary, pairs *mergeTokens, prefixLen int) ([]resolvedMerge, error) {
	vm := v.toID
	n := pairs.len()
	out := make([]resolvedMerge, n)
	guessBase := int32(-1 << 30)
	if n > 0 && v.dense != nil {
		p0, p1 := pairs.pair(0)
		if len(p1) >= prefixLen {
			if id, ok := vm[string(p0)+string(p1[prefixLen:])]; ok {
				guessBase = id
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), n/mergesPerWorker+1)
	errs := make([]error, workers)
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := lo; i < hi; i++ {
				p0, p1 := pairs.pair(i)
				a, ok := vm[string(p0)]
				if !ok {
					errs[w] = fmt.Errorf("merge %d: token %q not in vocabulary", i, p0)
					return
				}
				b, ok := vm[string(p1)]
				if !ok {
					errs[w] = fmt.Errorf("merge %d: token %q not in vocabulary", i, p1)
					return
				}
				if len(p1) < prefixLen || !utf8.Valid(p1[prefixLen:]) {
					errs[w] = fmt.Errorf("merge %d: token %q is shorter than the continuing subword prefix", i, p1)
					return
				}
				suffix := p1[prefixLen:]
				if g := guessBase + int32(i); g >= 0 && int(g) < len(v.dense) && v.has[g] {
					// dense[g] == merged implies vm[merged] == g: the table is
					// built from the map's entries.
					if t := v.dense[g]; len(t) == len(p0)+len(suffix) && t[:len(p0)] == string(p0) && t[len(p0):] == string(suffix) {
						out[i] = resolvedMerge{pairKey(a, b), g}
						continue
					}
				}
				buf = append(append(buf[:0], p0...), suffix...)
				id, ok := vm[string(buf)]
				if !ok {
					errs[w] = fmt.Errorf("merge %d: merged token %q not in vocabulary", i, buf)
					return
				}
				out[i] = resolvedMerge{pairKey(a, b), id}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs { // chunks are in order: the first error is the earliest
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
