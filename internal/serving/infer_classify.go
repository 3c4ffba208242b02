package serving

import (
	"context"
	"fmt"
	"math"
	"slices"

	"hfserve/internal/models"
	"hfserve/internal/skills"
)

// multiLabel is config.json's problem_type for heads trained with one
// sigmoid per label.
const multiLabel = "multi_label_classification"

// classify is Classify's work; see its documentation.
func (s *Service) classify(ctx context.Context, c *call, req ClassifyRequest) (*ClassifyResult, error) {
	if req.Pairs == nil && len(req.Inputs) == 0 || req.Pairs != nil && len(req.Pairs) == 0 {
		return nil, inputErr("inputs", "must hold at least one input")
	}
	lease, rt, err := s.acquire(ctx, c, req.Model, skills.TaskClassification)
	if err != nil {
		return nil, err
	}
	defer lease.Release()
	t := truncation{cut: req.Truncate, left: req.TruncateLeft}
	var items []tokens
	if req.Pairs != nil {
		items, err = encodePairs(ctx, rt, "inputs", req.Pairs, t, s.opts.Limits)
	} else {
		items, err = encodeInputs(ctx, rt, "inputs", req.Inputs, t, s.opts.Limits)
	}
	if err != nil {
		return nil, err
	}
	logits, err := classifierLogits(ctx, rt, skills.TaskClassification, items)
	if err != nil {
		return nil, err
	}
	labels := rt.Info().Labels
	sigmoid := rt.ProblemType == multiLabel || len(labels) == 1
	res := &ClassifyResult{Model: rt.Entry.Name, Scores: make([][]LabelScore, len(items)), PromptTokens: countTokens(items)}
	for i, row := range logits {
		scores := slices.Clone(row)
		switch {
		case req.RawScores:
		case sigmoid:
			for j, x := range scores {
				scores[j] = sigmoidOf(x)
			}
		default:
			softmax(scores)
		}
		ls := make([]LabelScore, len(scores))
		for j, sc := range scores {
			ls[j] = LabelScore{Label: labels[j], Score: sc}
		}
		// Best first; equal scores keep the labels' id order.
		slices.SortStableFunc(ls, func(a, b LabelScore) int { return cmpDesc(a.Score, b.Score) })
		res.Scores[i] = ls
	}
	return res, nil
}

// rerank is Rerank's work; see its documentation.
func (s *Service) rerank(ctx context.Context, c *call, req RerankRequest) (*RerankResult, error) {
	if len(req.Texts) == 0 {
		return nil, inputErr("texts", "must hold at least one text")
	}
	lease, rt, err := s.acquire(ctx, c, req.Model, skills.TaskRerank)
	if err != nil {
		return nil, err
	}
	defer lease.Release()
	pairs := make([][2]string, len(req.Texts))
	for i, text := range req.Texts {
		pairs[i] = [2]string{req.Query, text}
	}
	items, err := encodePairs(ctx, rt, "texts", pairs, truncation{cut: req.Truncate, left: req.TruncateLeft}, s.opts.Limits)
	if err != nil {
		return nil, err
	}
	logits, err := classifierLogits(ctx, rt, skills.TaskRerank, items)
	if err != nil {
		return nil, err
	}
	res := &RerankResult{Model: rt.Entry.Name, Ranks: make([]Rank, len(items)), PromptTokens: countTokens(items)}
	for i, row := range logits {
		if len(row) != 1 {
			return nil, taskError(rt, skills.TaskRerank)
		}
		score := row[0]
		if !req.RawScores {
			score = sigmoidOf(score)
		}
		res.Ranks[i] = Rank{Index: i, Score: score}
	}
	// Best first; equal scores keep the texts' order.
	slices.SortStableFunc(res.Ranks, func(a, b Rank) int { return cmpDesc(a.Score, b.Score) })
	return res, nil
}

// classifierLogits runs a sequence classification model over items and
// returns each item's logits, one per label.
func classifierLogits(ctx context.Context, rt *Runtime, task skills.Task, items []tokens) ([][]float32, error) {
	enc := rt.Encoder()
	labels := len(rt.Info().Labels)
	if enc == nil || rt.Info().Head != models.HeadSequenceClassification || labels == 0 {
		return nil, taskError(rt, task)
	}
	logits := make([][]float32, len(items))
	err := rt.runEncoder(ctx, items, func(i int, out *models.EncoderOutput, row int) error {
		if out.LogitsDim != labels || len(out.Logits) < (row+1)*labels {
			return fmt.Errorf("serving: model %q: classifier gave %d logits per input for %d labels", rt.Entry.Name, out.LogitsDim, labels)
		}
		logits[i] = slices.Clone(out.Logits[row*labels : (row+1)*labels])
		return nil
	})
	return logits, err
}

// sigmoidOf is the logistic function.
func sigmoidOf(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// softmax turns logits into probabilities in place, in float64 with the
// maximum subtracted so no logit overflows.
func softmax(x []float32) {
	m := slices.Max(x)
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v - m))
	}
	for i, v := range x {
		x[i] = float32(math.Exp(float64(v-m)) / sum)
	}
}

// cmpDesc orders scores from highest to lowest.
func cmpDesc(a, b float32) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
