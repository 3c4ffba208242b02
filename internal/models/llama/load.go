package llama

import (
	"fmt"
	"math"
	"strconv"
	"sync"

	"hfserve/internal/models"
	"hfserve/internal/tensor"
)

// Model is a loaded Llama-family decoder.
type Model struct {
	cfg   *Config
	info  models.Info
	pool  *tensor.Pool
	w     *models.Weights
	spec  *models.CacheSpec
	rope  *tensor.RoPE
	act   models.Activation
	attn  []models.Attention // per layer: the window differs between layers
	embed *tensor.Matrix
	// lmHead is nil for a base model.
	lmHead *tensor.Matrix
	norm   []float32
	layers []layer

	// mu lets Close wait for forward passes in flight.
	mu     sync.RWMutex
	closed bool
}

// layer holds one decoder block's weights; nil biases are absent.
type layer struct {
	inNorm, postNorm           []float32
	q, k, v, o                 *tensor.Matrix
	qBias, kBias, vBias        []float32
	oBias                      []float32
	qNorm, kNorm               []float32
	gate, up, down             *tensor.Matrix
	gateBias, upBias, downBias []float32
}

var _ models.Decoder = (*Model)(nil)

// Load reads a Llama-family model from dir, whose config.json has been
// parsed into c. Every tensor is checked before anything is returned.
func Load(dir string, c *models.Config, opts models.LoadOptions) (*Model, error) {
	cfg, err := ParseConfig(c)
	if err != nil {
		return nil, err
	}
	return models.LoadWith(dir, "llama", opts.Pool, func(w *models.Weights) (*Model, error) {
		return build(cfg, w, opts)
	}, (*Model).lookupOnly)
}

// lookupOnly lists the embedding tables read only row by row, which loading
// leaves out of Prefault.
func (m *Model) lookupOnly() []*tensor.Matrix {
	if m.lmHead == m.embed {
		return nil // tied: the LM head reads all of it every step
	}
	return []*tensor.Matrix{m.embed}
}

// build takes every tensor from w and assembles the model.
func build(cfg *Config, w *models.Weights, opts models.LoadOptions) (*Model, error) {
	m := &Model{cfg: cfg, pool: opts.Pool, w: w}
	act, err := models.ParseActivation(cfg.Act)
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	m.act = act
	prefix := ""
	if w.Has("model.embed_tokens.weight") || cfg.Head == models.HeadCausalLM {
		prefix = "model."
	}
	h, qDim, kvDim := cfg.HiddenSize, cfg.NumHeads*cfg.HeadDim, cfg.NumKVHeads*cfg.HeadDim
	m.embed = w.Matrix(prefix+"embed_tokens.weight", cfg.VocabSize, h)
	m.norm = w.Vector(prefix+"norm.weight", h)
	m.layers = make([]layer, cfg.NumLayers)
	for i := range m.layers {
		m.layers[i] = loadLayer(cfg, w, prefix+"layers."+strconv.Itoa(i)+".", qDim, kvDim)
	}
	if cfg.Head == models.HeadCausalLM {
		if cfg.TieEmbeddings {
			m.lmHead = m.embed
		} else {
			m.lmHead = w.Matrix("lm_head.weight", cfg.VocabSize, h)
		}
	}
	if err := w.Err(); err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	m.rope, err = tensor.NewRoPE(cfg.HeadDim, cfg.RoPETheta, cfg.RoPEScaling, cfg.MaxPositions)
	if err != nil {
		return nil, fmt.Errorf("llama: rope: %w: %w", err, models.ErrUnsupported)
	}
	m.spec = &models.CacheSpec{Layers: cfg.NumLayers, KVHeads: cfg.NumKVHeads, HeadDim: cfg.HeadDim, MaxPositions: cfg.MaxPositions}
	m.attn = make([]models.Attention, cfg.NumLayers)
	for i := range m.attn {
		m.attn[i] = models.Attention{
			Heads: cfg.NumHeads, KVHeads: cfg.NumKVHeads, HeadDim: cfg.HeadDim,
			Scale: float32(1 / math.Sqrt(float64(cfg.HeadDim))),
		}
		if cfg.SlidingWindow > 0 && i >= cfg.SlidingFrom {
			m.attn[i].Window = cfg.SlidingWindow
		}
	}
	m.info = models.Info{
		Architecture: cfg.Architecture, ModelType: cfg.ModelType, Family: "llama", Head: cfg.Head,
		WeightsDType: w.DType(), VocabSize: cfg.VocabSize, HiddenSize: h, NumLayers: cfg.NumLayers,
		MaxPositions: cfg.MaxPositions, PadTokenID: cfg.PadTokenID, BOSTokenID: cfg.BOSTokenID,
		EOSTokenIDs: cfg.EOSTokenIDs, WeightBytes: w.Bytes(), KVBytesPerToken: m.spec.BytesPerToken(),
	}
	return m, nil
}

// loadLayer takes one block's tensors, named with prefix "…layers.N.".
func loadLayer(cfg *Config, w *models.Weights, p string, qDim, kvDim int) layer {
	h, inter := cfg.HiddenSize, cfg.IntermediateSize
	l := layer{
		inNorm:   w.Vector(p+"input_layernorm.weight", h),
		postNorm: w.Vector(p+"post_attention_layernorm.weight", h),
		q:        w.Matrix(p+"self_attn.q_proj.weight", qDim, h),
		k:        w.Matrix(p+"self_attn.k_proj.weight", kvDim, h),
		v:        w.Matrix(p+"self_attn.v_proj.weight", kvDim, h),
		o:        w.Matrix(p+"self_attn.o_proj.weight", h, qDim),
		gate:     w.Matrix(p+"mlp.gate_proj.weight", inter, h),
		up:       w.Matrix(p+"mlp.up_proj.weight", inter, h),
		down:     w.Matrix(p+"mlp.down_proj.weight", h, inter),
	}
	if cfg.QKVBias {
		l.qBias = w.Vector(p+"self_attn.q_proj.bias", qDim)
		l.kBias = w.Vector(p+"self_attn.k_proj.bias", kvDim)
		l.vBias = w.Vector(p+"self_attn.v_proj.bias", kvDim)
	}
	if cfg.OBias {
		l.oBias = w.Vector(p+"self_attn.o_proj.bias", h)
	}
	if cfg.MLPBias {
		l.gateBias = w.Vector(p+"mlp.gate_proj.bias", inter)
		l.upBias = w.Vector(p+"mlp.up_proj.bias", inter)
		l.downBias = w.Vector(p+"mlp.down_proj.bias", h)
	}
	if cfg.QKNorm {
		l.qNorm = w.Vector(p+"self_attn.q_norm.weight", cfg.HeadDim)
		l.kNorm = w.Vector(p+"self_attn.k_norm.weight", cfg.HeadDim)
	}
	return l
}

// Info describes the model.
func (m *Model) Info() models.Info { return m.info }

// Config returns the parsed configuration.
func (m *Model) Config() *Config { return m.cfg }

// NewCache returns an empty KV cache for one sequence of at most maxTokens
// tokens.
func (m *Model) NewCache(maxTokens int) (*models.KVCache, error) { return m.spec.NewCache(maxTokens) }

// Close unmaps the weights after forward passes in flight finish.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return m.w.Close()
}
