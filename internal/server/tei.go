package server

import (
	"fmt"
	"net/http"

	"hfserve/api"
	"hfserve/internal/serving"
	"hfserve/internal/skills"
)

// teiInvalid is a TEI validation error, worded as TEI words them.
func teiInvalid(msg string) error { return &serving.InputError{Msg: msg} }

// teiEmpty is TEI's "nothing to work on" error.
func teiEmpty(field string) error {
	return &emptyInputError{param: field, msg: "`" + field + "` cannot be empty"}
}

// teiBatch checks a batch's size as TEI does.
func teiBatch(field string, n int) error {
	switch {
	case n == 0:
		return teiEmpty(field)
	case n > maxBatchInputs:
		return &serving.InputError{Msg: fmt.Sprintf("batch size %d > maximum allowed batch size %d", n, maxBatchInputs)}
	}
	return nil
}

// teiTruncate maps TEI's truncate and truncation_direction.
func teiTruncate(truncate *bool, dir api.TruncationDirection) (on, left bool) {
	return truncate != nil && *truncate, dir == api.TruncateLeft
}

// teiRead reads a TEI request and resolves its model; it answers the
// error itself and reports whether to go on.
func (h *inference) teiRead(w http.ResponseWriter, r *http.Request, req any, model *string, task skills.Task) bool {
	if re := decodeRequest(r, req); re != nil {
		writeHFReply(w, r, teiReply(re))
		return false
	}
	name, err := h.resolveModel(r.Context(), *model, task)
	if err != nil {
		writeHFReply(w, r, teiReply(err))
		return false
	}
	*model = name
	return true
}

// teiEmbed serves TEI's POST /embed.
func (h *inference) teiEmbed(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeHFReply(w, r, teiReply(err)) }
	var req api.EmbedRequest
	if !h.teiRead(w, r, &req, &req.Model, skills.TaskEmbeddings) {
		return
	}
	if err := teiBatch("inputs", len(req.Inputs)); err != nil {
		fail(err)
		return
	}
	if req.PromptName != nil {
		fail(teiInvalid("`prompt_name` is not supported by this server"))
		return
	}
	er := serving.EmbedRequest{Model: req.Model, Inputs: make([]serving.Input, len(req.Inputs))}
	for i, in := range req.Inputs {
		if in.Text == "" && len(in.IDs) == 0 {
			fail(teiEmpty("inputs"))
			return
		}
		er.Inputs[i] = serving.Input{Text: in.Text, IDs: in.IDs}
	}
	// TEI normalises unless told not to, whatever the model's own
	// configuration says.
	normalize := req.Normalize == nil || *req.Normalize
	er.Normalize = &normalize
	er.Truncate, er.TruncateLeft = teiTruncate(req.Truncate, req.TruncationDirection)
	if d := req.Dimensions; d != nil {
		if *d < 1 {
			fail(teiInvalid("`dimensions` must be strictly positive"))
			return
		}
		er.Dimensions = *d
	}
	run := h.teiCacheBegin(w, r, "/embed", req.Model, req)
	defer run.close()
	res, err := run.embed(r.Context(), er)
	if err != nil {
		fail(err)
		return
	}
	run.done(r.Context())
	h.srv.writeJSON(w, r, http.StatusOK, nonNilVectors(res.Vectors))
}

// teiCacheBegin looks a TEI request up (req is the decoded request, by
// value).
func (h *inference) teiCacheBegin(w http.ResponseWriter, r *http.Request, endpoint, model string, req any) *cacheRun {
	return h.cacheBegin(w, r, cacheKey{endpoint: endpoint, model: model, request: teiCacheRequest(req), deterministic: true})
}

// teiCacheRequest is a TEI request's part of its cache key: every field
// but model.
func teiCacheRequest(req any) any {
	switch q := req.(type) {
	case api.EmbedRequest:
		q.Model = ""
		return q
	case api.RerankRequest:
		q.Model = ""
		return q
	case api.PredictRequest:
		q.Model = ""
		return q
	}
	return req
}

// nonNilVectors keeps every vector an array in JSON.
func nonNilVectors(vs [][]float32) [][]float32 {
	out := make([][]float32, len(vs))
	for i, v := range vs {
		if v == nil {
			v = []float32{}
		}
		out[i] = v
	}
	return out
}

// teiRerank serves TEI's POST /rerank.
func (h *inference) teiRerank(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeHFReply(w, r, teiReply(err)) }
	var req api.RerankRequest
	if !h.teiRead(w, r, &req, &req.Model, skills.TaskRerank) {
		return
	}
	if err := teiBatch("texts", len(req.Texts)); err != nil {
		fail(err)
		return
	}
	rr := serving.RerankRequest{Model: req.Model, Query: req.Query, Texts: req.Texts, RawScores: req.RawScores}
	rr.Truncate, rr.TruncateLeft = teiTruncate(req.Truncate, req.TruncationDirection)
	run := h.teiCacheBegin(w, r, "/rerank", req.Model, req)
	defer run.close()
	res, err := run.rerank(r.Context(), rr)
	if err != nil {
		fail(err)
		return
	}
	out := make([]api.Rank, len(res.Ranks))
	for i, rk := range res.Ranks {
		out[i] = api.Rank{Index: rk.Index, Score: rk.Score}
		if req.ReturnText && rk.Index >= 0 && rk.Index < len(req.Texts) {
			text := req.Texts[rk.Index]
			out[i].Text = &text
		}
	}
	run.done(r.Context())
	h.srv.writeJSON(w, r, http.StatusOK, out)
}

// teiPredict serves TEI's POST /predict. The service takes single texts
// or pairs, not both, so a batch mixing them runs as two requests.
func (h *inference) teiPredict(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeHFReply(w, r, teiReply(err)) }
	var req api.PredictRequest
	if !h.teiRead(w, r, &req, &req.Model, skills.TaskClassification) {
		return
	}
	seqs := req.Inputs.Sequences
	if err := teiBatch("inputs", len(seqs)); err != nil {
		fail(err)
		return
	}
	base := serving.ClassifyRequest{Model: req.Model, RawScores: req.RawScores}
	base.Truncate, base.TruncateLeft = teiTruncate(req.Truncate, req.TruncationDirection)
	singles, pairs := base, base
	var singleAt, pairAt []int
	for i, s := range seqs {
		if s.Pair {
			pairs.Pairs = append(pairs.Pairs, [2]string{s.Text, s.TextPair})
			pairAt = append(pairAt, i)
		} else {
			singles.Inputs = append(singles.Inputs, serving.Input{Text: s.Text})
			singleAt = append(singleAt, i)
		}
	}
	run := h.teiCacheBegin(w, r, "/predict", req.Model, req)
	defer run.close()
	scores := make([][]api.Prediction, len(seqs))
	for p, part := range []struct {
		req serving.ClassifyRequest
		at  []int
	}{{singles, singleAt}, {pairs, pairAt}} {
		if len(part.at) == 0 {
			continue
		}
		res, err := run.classify(r.Context(), p, part.req)
		if err != nil {
			fail(err)
			return
		}
		for j, ls := range res.Scores {
			if j >= len(part.at) {
				break
			}
			preds := make([]api.Prediction, len(ls))
			for k, l := range ls {
				preds[k] = api.Prediction{Score: l.Score, Label: l.Label}
			}
			scores[part.at[j]] = preds
		}
	}
	for i := range scores {
		if scores[i] == nil {
			scores[i] = []api.Prediction{}
		}
	}
	run.done(r.Context())
	if !req.Inputs.Batch {
		h.srv.writeJSON(w, r, http.StatusOK, scores[0])
		return
	}
	h.srv.writeJSON(w, r, http.StatusOK, scores)
}

// teiTokenize serves TEI's POST /tokenize.
func (h *inference) teiTokenize(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeHFReply(w, r, teiReply(err)) }
	var req api.TokenizeRequest
	if !h.teiRead(w, r, &req, &req.Model, "") {
		return
	}
	if err := teiBatch("inputs", len(req.Inputs)); err != nil {
		fail(err)
		return
	}
	if req.PromptName != nil {
		fail(teiInvalid("`prompt_name` is not supported by this server"))
		return
	}
	add := req.AddSpecialTokens == nil || *req.AddSpecialTokens
	_, toks, err := h.svc.Tokenize(r.Context(), serving.TokenizeRequest{Model: req.Model, Texts: req.Inputs, AddSpecialTokens: add})
	if err != nil {
		fail(err)
		return
	}
	out := make([][]api.SimpleToken, len(toks))
	for i, enc := range toks {
		out[i] = make([]api.SimpleToken, len(enc))
		for j, t := range enc {
			out[i][j] = api.SimpleToken{ID: t.ID, Text: t.Text, Special: t.Special, Start: t.Start, Stop: t.Stop}
		}
	}
	h.srv.writeJSON(w, r, http.StatusOK, out)
}

// teiDecode serves TEI's POST /decode.
func (h *inference) teiDecode(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeHFReply(w, r, teiReply(err)) }
	var req api.DecodeRequest
	if !h.teiRead(w, r, &req, &req.Model, "") {
		return
	}
	if err := teiBatch("ids", len(req.IDs)); err != nil {
		fail(err)
		return
	}
	skip := req.SkipSpecialTokens == nil || *req.SkipSpecialTokens
	_, texts, err := h.svc.Decode(r.Context(), serving.DecodeRequest{Model: req.Model, IDs: req.IDs, SkipSpecialTokens: skip})
	if err != nil {
		fail(err)
		return
	}
	if texts == nil {
		texts = []string{}
	}
	h.srv.writeJSON(w, r, http.StatusOK, texts)
}
