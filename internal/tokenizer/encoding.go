package tokenizer

import "fmt"

// Encoding is the result of encoding one sequence or pair. All slices have
// the same length, one entry per token.
type Encoding struct {
	IDs    []int32
	Tokens []string
	// Offsets are [start, end) character (Unicode scalar value) offsets into
	// the input text the token comes from, as the Hugging Face bindings
	// report them; special tokens added by the post-processor get [0, 0].
	Offsets [][2]int
	// ByteOffsets are the same ranges in bytes.
	ByteOffsets [][2]int
	// TypeIDs are segment ids (0 for the first sequence, 1 for the pair in
	// BERT-style templates).
	TypeIDs []int32
	// AttentionMask is 1 for real tokens and 0 for padding.
	AttentionMask []int32
	// SpecialTokensMask is 1 for tokens added by the post-processor or padding.
	SpecialTokensMask []int32
	// WordIDs is the index of the pre-tokenized word of each token, -1 for
	// added special tokens and padding.
	WordIDs []int32
	// SequenceIDs is 0 or 1 for tokens of the first or second sequence, -1
	// for special tokens and padding.
	SequenceIDs []int32
	// Overflowing holds the parts cut off by truncation, each encoded the
	// same way (with stride tokens of overlap).
	Overflowing []*Encoding
}

// Len is the number of tokens.
func (e *Encoding) Len() int { return len(e.IDs) }

func (e *Encoding) appendToken(id int32, tok string, off, boff [2]int, typeID, word, seq, special int32) {
	e.IDs = append(e.IDs, id)
	e.Tokens = append(e.Tokens, tok)
	e.Offsets = append(e.Offsets, off)
	e.ByteOffsets = append(e.ByteOffsets, boff)
	e.TypeIDs = append(e.TypeIDs, typeID)
	e.AttentionMask = append(e.AttentionMask, 1)
	e.SpecialTokensMask = append(e.SpecialTokensMask, special)
	e.WordIDs = append(e.WordIDs, word)
	e.SequenceIDs = append(e.SequenceIDs, seq)
}

// appendEncoding appends all tokens of o (the Rust merge_with without
// growing offsets); overflowing parts are not combined.
func (e *Encoding) appendEncoding(o *Encoding) {
	e.IDs = append(e.IDs, o.IDs...)
	e.Tokens = append(e.Tokens, o.Tokens...)
	e.Offsets = append(e.Offsets, o.Offsets...)
	e.ByteOffsets = append(e.ByteOffsets, o.ByteOffsets...)
	e.TypeIDs = append(e.TypeIDs, o.TypeIDs...)
	e.AttentionMask = append(e.AttentionMask, o.AttentionMask...)
	e.SpecialTokensMask = append(e.SpecialTokensMask, o.SpecialTokensMask...)
	e.WordIDs = append(e.WordIDs, o.WordIDs...)
	e.SequenceIDs = append(e.SequenceIDs, o.SequenceIDs...)
}

// slice returns a copy of tokens [start, stop).
func (e *Encoding) slice(start, stop int) *Encoding {
	return &Encoding{
		IDs:               append([]int32(nil), e.IDs[start:stop]...),
		Tokens:            append([]string(nil), e.Tokens[start:stop]...),
		Offsets:           append([][2]int(nil), e.Offsets[start:stop]...),
		ByteOffsets:       append([][2]int(nil), e.ByteOffsets[start:stop]...),
		TypeIDs:           append([]int32(nil), e.TypeIDs[start:stop]...),
		AttentionMask:     append([]int32(nil), e.AttentionMask[start:stop]...),
		SpecialTokensMask: append([]int32(nil), e.SpecialTokensMask[start:stop]...),
		WordIDs:           append([]int32(nil), e.WordIDs[start:stop]...),
		SequenceIDs:       append([]int32(nil), e.SequenceIDs[start:stop]...),
	}
}

func (e *Encoding) setTypeIDs(t int32) {
	for i := range e.TypeIDs {
		e.TypeIDs[i] = t
	}
	for _, o := range e.Overflowing {
		o.setTypeIDs(t)
	}
}

func (e *Encoding) setSequenceID(s int32) {
	for i := range e.SequenceIDs {
		e.SequenceIDs[i] = s
	}
	for _, o := range e.Overflowing {
		o.setSequenceID(s)
	}
}

func (e *Encoding) clone() *Encoding {
	c := e.slice(0, e.Len())
	for _, o := range e.Overflowing {
		c.Overflowing = append(c.Overflowing, o.clone())
	}
	return c
}

// TruncationDirection says which end of a sequence truncation cuts.
type TruncationDirection int

// Truncation and padding directions.
const (
	Right TruncationDirection = iota
	Left
)

// truncate keeps maxLen tokens and moves the rest into Overflowing parts of
// at most maxLen tokens that overlap by stride tokens (Rust Encoding::truncate).
func (e *Encoding) truncate(maxLen, stride int, dir TruncationDirection) error {
	n := e.Len()
	if maxLen >= n {
		return nil
	}
	if maxLen == 0 {
		old := *e
		*e = Encoding{Overflowing: []*Encoding{&old}}
		return nil
	}
	if stride >= maxLen {
		return fmt.Errorf("truncation: stride %d must be less than the maximum length %d (which excludes added special tokens)", stride, maxLen)
	}
	step := maxLen - stride
	var parts [][2]int
	end := false
	if dir == Right {
		for start := 0; start < n && !end; start += step {
			stop := min(start+maxLen, n)
			end = stop == n
			parts = append(parts, [2]int{start, stop})
		}
	} else {
		for s := n - 1; s >= 0 && !end; s -= step {
			stop := s + 1
			start := max(stop-maxLen, 0)
			if start < stop {
				end = start == 0
				parts = append(parts, [2]int{start, stop})
			}
		}
	}
	first := e.slice(parts[0][0], parts[0][1])
	for _, p := range parts[1:] {
		first.Overflowing = append(first.Overflowing, e.slice(p[0], p[1]))
	}
	*e = *first
	return nil
}

// pad extends the encoding (and its overflowing parts) to target tokens.
func (e *Encoding) pad(target int, p *PaddingParams) {
	for _, o := range e.Overflowing {
		o.pad(target, p)
	}
	n := e.Len()
	if n >= target {
		return
	}
	k := target - n
	pe := &Encoding{}
	for i := 0; i < k; i++ {
		pe.appendToken(p.PadID, p.PadToken, [2]int{}, [2]int{}, p.PadTypeID, -1, -1, 1)
		pe.AttentionMask[i] = 0
	}
	if p.Direction == Left {
		pe.appendEncoding(e)
		pe.Overflowing = e.Overflowing
		*e = *pe
		return
	}
	e.appendEncoding(pe)
}
