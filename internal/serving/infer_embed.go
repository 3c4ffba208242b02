package serving

import (
	"context"

	"hfserve/internal/models"
	"hfserve/internal/skills"
)

// embed is Embed's work; see its documentation.
func (s *Service) embed(ctx context.Context, c *call, req EmbedRequest) (*EmbedResult, error) {
	if len(req.Inputs) == 0 {
		return nil, inputErr("input", "must hold at least one input")
	}
	if req.Pooling != "" && !validPooling(req.Pooling) {
		return nil, inputErr("pooling", "%q is not one of cls, mean, max, lasttoken", req.Pooling)
	}
	if req.Dimensions < 0 {
		return nil, inputErr("dimensions", "%d must be positive", req.Dimensions)
	}
	lease, rt, err := s.acquire(ctx, c, req.Model, skills.TaskEmbeddings)
	if err != nil {
		return nil, err
	}
	defer lease.Release()
	hidden := rt.Info().HiddenSize
	if req.Dimensions > hidden {
		return nil, inputErr("dimensions", "%d is more than the model's %d", req.Dimensions, hidden)
	}
	items, err := encodeInputs(ctx, rt, "input", req.Inputs, truncation{cut: req.Truncate, left: req.TruncateLeft}, s.opts.Limits)
	if err != nil {
		return nil, err
	}
	mode := rt.Serves.Pooling
	if req.Pooling != "" {
		mode = req.Pooling
	}
	if !validPooling(mode) {
		mode = skills.PoolingMean
	}
	vectors := make([][]float32, len(items))
	switch {
	case rt.Encoder() != nil:
		err = rt.runEncoder(ctx, items, func(i int, out *models.EncoderOutput, row int) error {
			base := row * out.SeqLen * out.HiddenSize
			vectors[i] = pool(mode, out.Hidden[base:], len(items[i].ids), out.HiddenSize)
			return nil
		})
	case rt.Decoder() != nil:
		output := models.OutputAll
		if mode == skills.PoolingLastToken {
			output = models.OutputLast
		}
		err = runDecoderHidden(ctx, rt.Decoder(), items, output, func(i int, rows []float32) error {
			vectors[i] = pool(mode, rows, len(rows)/hidden, hidden)
			return nil
		})
	default:
		return nil, taskError(rt, skills.TaskEmbeddings)
	}
	if err != nil {
		return nil, err
	}
	norm := rt.Serves.Normalize
	if req.Normalize != nil {
		norm = *req.Normalize
	}
	for i, v := range vectors {
		if req.Dimensions > 0 {
			v = v[:req.Dimensions:req.Dimensions]
		}
		if norm {
			normalize(v)
		}
		vectors[i] = v
	}
	return &EmbedResult{Model: rt.Entry.Name, Vectors: vectors, PromptTokens: countTokens(items)}, nil
}
