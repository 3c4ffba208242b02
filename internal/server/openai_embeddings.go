package server

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"

	"hfserve/api"
	"hfserve/internal/serving"
	"hfserve/internal/skills"
)

// embeddings serves POST /v1/embeddings.
func (h *inference) embeddings(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeOpenAIReply(w, r, openAIReply(err, embeddingPrompt)) }
	var req api.EmbeddingRequest
	if re := decodeRequest(r, &req); re != nil {
		fail(re)
		return
	}
	model, err := h.resolveModel(r.Context(), req.Model, skills.TaskEmbeddings)
	if err != nil {
		fail(err)
		return
	}
	er, err := embeddingRequest(&req, model)
	if err != nil {
		fail(err)
		return
	}
	run := h.cacheBegin(w, r, cacheKey{endpoint: "/v1/embeddings", model: model, request: embeddingCacheRequest(req), deterministic: true})
	defer run.close()
	res, err := run.embed(r.Context(), er)
	if err != nil {
		fail(err)
		return
	}
	resp := api.EmbeddingList{Object: api.ObjectList, Model: model, Data: make([]api.Embedding, len(res.Vectors)),
		Usage: api.EmbeddingUsage{PromptTokens: res.PromptTokens, TotalTokens: res.PromptTokens}}
	for i, v := range res.Vectors {
		e := api.Embedding{Object: api.ObjectEmbedding, Index: i}
		if req.EncodingFormat == api.EncodingBase64 {
			e.Embedding.Base64 = float32Base64(v)
		} else {
			e.Embedding.Float = v
		}
		resp.Data[i] = e
	}
	run.done(r.Context())
	h.srv.writeJSON(w, r, http.StatusOK, resp)
}

// embeddingCacheRequest is an embeddings request's part of its cache key:
// every field but model (keyed apart), user, and encoding_format (the
// cache keeps the vectors, which either format is written from).
func embeddingCacheRequest(req api.EmbeddingRequest) api.EmbeddingRequest {
	req.Model, req.User, req.EncodingFormat = "", "", ""
	return req
}

// embeddingRequest validates an embeddings request as OpenAI does (no
// empty inputs, at most 2048 of them) and maps it onto the service's.
func embeddingRequest(req *api.EmbeddingRequest, model string) (serving.EmbedRequest, error) {
	er := serving.EmbedRequest{Model: model}
	in := req.Input
	switch {
	case in.Texts == nil && in.Tokens == nil:
		return er, inputError("input", "is required")
	case in.Len() == 0:
		return er, &emptyInputError{param: "input", msg: "input: must contain at least one input"}
	case in.Len() > maxBatchInputs:
		return er, inputError("input", "at most %d inputs are allowed, got %d", maxBatchInputs, in.Len())
	}
	switch req.EncodingFormat {
	case "", api.EncodingFloat, api.EncodingBase64:
	default:
		return er, inputError("encoding_format", "must be %q or %q, got %q", api.EncodingFloat, api.EncodingBase64, req.EncodingFormat)
	}
	if d := req.Dimensions; d != nil {
		if *d < 1 {
			return er, inputError("dimensions", "must be at least 1, got %d", *d)
		}
		er.Dimensions = *d
	}
	er.Inputs = make([]serving.Input, in.Len())
	for i := range er.Inputs {
		param := fmt.Sprintf("input[%d]", i)
		if in.Tokens != nil {
			if len(in.Tokens[i]) == 0 {
				return er, &emptyInputError{param: param, msg: param + ": must contain at least one token"}
			}
			er.Inputs[i].IDs = in.Tokens[i]
			continue
		}
		if in.Texts[i] == "" {
			return er, &emptyInputError{param: param, msg: param + ": must not be an empty string"}
		}
		er.Inputs[i].Text = in.Texts[i]
	}
	return er, nil
}

// float32Base64 encodes v as OpenAI's base64 embeddings: the bytes of its
// little-endian float32s.
func float32Base64(v []float32) string {
	buf := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(buf)
}
