package gpt2

import (
	"fmt"
	"math"
	"strconv"
	"sync"

	"hfserve/internal/models"
	"hfserve/internal/tensor"
)

// Model is a loaded GPT-2.
type Model struct {
	cfg  *Config
	info models.Info
	pool *tensor.Pool
	w    *models.Weights
	spec *models.CacheSpec
	act  models.Activation
	attn []models.Attention // per layer: the scale may depend on the layer
	wte  *tensor.Matrix
	wpe  *tensor.Matrix
	// lmHead is nil for a base model.
	lmHead     *tensor.Matrix
	lnfW, lnfB []float32
	layers     []layer

	mu     sync.RWMutex
	closed bool
}

// layer holds one block's weights, Conv1D matrices already transposed to
// [out, in].
type layer struct {
	ln1W, ln1B, ln2W, ln2B     []float32
	attn, proj, fc, fcProj     *tensor.Matrix
	attnB, projB, fcB, fcProjB []float32
}

var _ models.Decoder = (*Model)(nil)

// Load reads a GPT-2 model from dir, whose config.json has been parsed into
// c. Every tensor is checked before anything is returned.
func Load(dir string, c *models.Config, opts models.LoadOptions) (*Model, error) {
	cfg, err := ParseConfig(c)
	if err != nil {
		return nil, err
	}
	return models.LoadWith(dir, "gpt2", opts.Pool, func(w *models.Weights) (*Model, error) {
		return build(cfg, w, opts)
	}, (*Model).lookupOnly)
}

// lookupOnly lists the embedding tables read only row by row, which loading
// leaves out of Prefault.
func (m *Model) lookupOnly() []*tensor.Matrix {
	if m.lmHead == m.wte {
		return []*tensor.Matrix{m.wpe} // tied: the LM head reads all of wte every step
	}
	return []*tensor.Matrix{m.wte, m.wpe}
}

func build(cfg *Config, w *models.Weights, opts models.LoadOptions) (*Model, error) {
	m := &Model{cfg: cfg, pool: opts.Pool, w: w}
	act, err := models.ParseActivation(cfg.Act)
	if err != nil {
		return nil, fmt.Errorf("gpt2: %w", err)
	}
	m.act = act
	// GPT2LMHeadModel saves its body under "transformer."; the original
	// hub checkpoint and GPT2Model have no prefix.
	p := ""
	if w.Has("transformer.wte.weight") {
		p = "transformer."
	}
	h, inner := cfg.HiddenSize, cfg.InnerSize
	m.wte = w.Matrix(p+"wte.weight", cfg.VocabSize, h)
	m.wpe = w.Matrix(p+"wpe.weight", cfg.MaxPositions, h)
	m.lnfW = w.Vector(p+"ln_f.weight", h)
	m.lnfB = w.Vector(p+"ln_f.bias", h)
	m.layers = make([]layer, cfg.NumLayers)
	for i := range m.layers {
		lp := p + "h." + strconv.Itoa(i) + "."
		m.layers[i] = layer{
			ln1W: w.Vector(lp+"ln_1.weight", h), ln1B: w.Vector(lp+"ln_1.bias", h),
			ln2W: w.Vector(lp+"ln_2.weight", h), ln2B: w.Vector(lp+"ln_2.bias", h),
			attn: w.Transposed(lp+"attn.c_attn.weight", h, 3*h), attnB: w.Vector(lp+"attn.c_attn.bias", 3*h),
			proj: w.Transposed(lp+"attn.c_proj.weight", h, h), projB: w.Vector(lp+"attn.c_proj.bias", h),
			fc: w.Transposed(lp+"mlp.c_fc.weight", h, inner), fcB: w.Vector(lp+"mlp.c_fc.bias", inner),
			fcProj: w.Transposed(lp+"mlp.c_proj.weight", inner, h), fcProjB: w.Vector(lp+"mlp.c_proj.bias", h),
		}
	}
	if cfg.Head == models.HeadCausalLM {
		if cfg.TieEmbeddings {
			m.lmHead = m.wte
		} else {
			m.lmHead = w.Matrix("lm_head.weight", cfg.VocabSize, h)
		}
	}
	if err := w.Err(); err != nil {
		return nil, fmt.Errorf("gpt2: %w", err)
	}
	hd := h / cfg.NumHeads
	m.spec = &models.CacheSpec{Layers: cfg.NumLayers, KVHeads: cfg.NumHeads, HeadDim: hd, MaxPositions: cfg.MaxPositions}
	m.attn = make([]models.Attention, cfg.NumLayers)
	for i := range m.attn {
		scale := 1.0
		if cfg.ScaleAttn {
			scale /= math.Sqrt(float64(hd))
		}
		if cfg.ScaleByLayer {
			scale /= float64(i + 1)
		}
		m.attn[i] = models.Attention{Heads: cfg.NumHeads, KVHeads: cfg.NumHeads, HeadDim: hd, Scale: float32(scale)}
	}
	m.info = models.Info{
		Architecture: cfg.Architecture, ModelType: "gpt2", Family: "gpt2", Head: cfg.Head,
		WeightsDType: w.DType(), VocabSize: cfg.VocabSize, HiddenSize: h, NumLayers: cfg.NumLayers,
		MaxPositions: cfg.MaxPositions, PadTokenID: cfg.PadTokenID, BOSTokenID: cfg.BOSTokenID,
		EOSTokenIDs: cfg.EOSTokenIDs, WeightBytes: w.Bytes(), KVBytesPerToken: m.spec.BytesPerToken(),
	}
	return m, nil
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
