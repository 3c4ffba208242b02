package tokenizer

import "errors"

// newPrecompiled builds the SentencePiece precompiled-charsmap normalizer.
func newPrecompiled(charsmap string) (normalizer, error) {
	return nil, errors.New("normalizer Precompiled: not implemented yet")
}
