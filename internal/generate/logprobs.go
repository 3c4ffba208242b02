package generate

import "fmt"

// TokenLogprobs returns log_softmax(row)[id] and the topN most likely
// tokens of one row of a model's logits, with no processing: the prompt
// logprobs that TGI's decoder_input_details and OpenAI's echo report (the
// row at position i scores the prompt token at i+1).
func TokenLogprobs(row []float32, id int32, topN int) (Choice, error) {
	if id < 0 || int(id) >= len(row) {
		return Choice{}, fmt.Errorf("generate: token %d is outside the vocabulary [0, %d): %w", id, len(row), ErrInvalidParams)
	}
	if err := (LogprobRequest{TopN: topN}).validate(); err != nil {
		return Choice{}, err
	}
	m, _, err := argmax(row)
	if err != nil {
		return Choice{}, err
	}
	var s Sampler // only its scratch
	ch := Choice{ID: id}
	s.fullLogprobs(&ch, row, m, 1, topN)
	return ch, nil
}
