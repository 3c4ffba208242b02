package serving

import (
	"context"
)

// tokenize is Tokenize's work; see its documentation.
func (s *Service) tokenize(ctx context.Context, req TokenizeRequest) (string, [][]TokenInfo, error) {
	if len(req.Texts) == 0 {
		return "", nil, inputErr("inputs", "must hold at least one text")
	}
	lease, rt, err := s.acquire(ctx, nil, req.Model, "")
	if err != nil {
		return "", nil, err
	}
	defer lease.Release()
	tok := plainTokenizer(rt)
	out := make([][]TokenInfo, len(req.Texts))
	for i, text := range req.Texts {
		if err := ctx.Err(); err != nil {
			return "", nil, err
		}
		enc, err := tok.Encode(text, req.AddSpecialTokens)
		if err != nil {
			return "", nil, inputErr(indexed("inputs", i), "%v", err)
		}
		infos := make([]TokenInfo, enc.Len())
		for j, id := range enc.IDs {
			if enc.SpecialTokensMask[j] == 1 {
				// Added by the post-processor: it has no place in the text.
				text, _ := tok.IDToToken(id)
				infos[j] = TokenInfo{ID: id, Text: text, Special: true}
				continue
			}
			start, stop := enc.ByteOffsets[j][0], enc.ByteOffsets[j][1]
			infos[j] = TokenInfo{ID: id, Start: &start, Stop: &stop}
			if 0 <= start && start <= stop && stop <= len(text) {
				infos[j].Text = text[start:stop]
			}
		}
		out[i] = infos
	}
	return rt.Entry.Name, out, nil
}

// decode is Decode's work; see its documentation.
func (s *Service) decode(ctx context.Context, req DecodeRequest) (string, []string, error) {
	if len(req.IDs) == 0 {
		return "", nil, inputErr("ids", "must hold at least one list of ids")
	}
	lease, rt, err := s.acquire(ctx, nil, req.Model, "")
	if err != nil {
		return "", nil, err
	}
	defer lease.Release()
	vocab := max(rt.Info().VocabSize, rt.Tokenizer.VocabSize())
	texts := make([]string, len(req.IDs))
	for i, ids := range req.IDs {
		if err := ctx.Err(); err != nil {
			return "", nil, err
		}
		for j, id := range ids {
			if id < 0 || int(id) >= vocab {
				return "", nil, inputErr(indexed("ids", i), "token %d is id %d, outside the vocabulary [0, %d)", j, id, vocab)
			}
		}
		text, err := rt.Tokenizer.Decode(ids, req.SkipSpecialTokens)
		if err != nil {
			return "", nil, inputErr(indexed("ids", i), "%v", err)
		}
		texts[i] = text
	}
	return rt.Entry.Name, texts, nil
}
