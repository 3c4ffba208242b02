package tokenizer

// token is a model output: an id, its string and a byte range of the
// normalized piece it came from.
type token struct {
	id    int32
	value string
	s, e  int
}

// split is one piece of a sequence; tokens is set once the piece has been
// tokenized (added tokens are tokenized when they are split off).
type split struct {
	n         normalized
	tokens    []token
	tokenized bool
}

// preTokenized is the Rust PreTokenizedString: the input sequence cut into
// pieces that keep their alignment with the original text.
type preTokenized struct {
	original string
	splits   []split
}

// splitEach replaces every piece that has no tokens yet by the pieces f
// returns, dropping empty ones.
func (p *preTokenized) splitEach(f func(i int, n normalized) ([]normalized, error)) error {
	out := make([]split, 0, len(p.splits))
	for i, s := range p.splits {
		if s.tokenized {
			out = append(out, s)
			continue
		}
		parts, err := f(i, s.n)
		if err != nil {
			return err
		}
		for _, part := range parts {
			if part.text != "" {
				out = append(out, split{n: part})
			}
		}
	}
	p.splits = out
	return nil
}

// normalizeEach applies f to every piece that has no tokens yet.
func (p *preTokenized) normalizeEach(f func(n *normalized) error) error {
	for i := range p.splits {
		if !p.splits[i].tokenized {
			if err := f(&p.splits[i].n); err != nil {
				return err
			}
		}
	}
	return nil
}
