package bert

import (
	"fmt"
	"math"
	"strconv"
	"sync"

	"hfserve/internal/models"
	"hfserve/internal/tensor"
)

// Model is a loaded BERT-family encoder.
type Model struct {
	cfg  *Config
	info models.Info
	pool *tensor.Pool
	w    *models.Weights
	act  models.Activation
	attn models.Attention

	word, pos, tokType *tensor.Matrix // tokType is nil for DistilBERT
	embNormW, embNormB []float32
	layers             []layer
	pooler             *dense // nil when the checkpoint has none
	cls                *classifier
	mlm                *maskedLM

	mu     sync.RWMutex
	closed bool
	// scratch recycles Encode's activation buffers (*scratch).
	scratch sync.Pool
}

// dense is a Linear layer.
type dense struct {
	w *tensor.Matrix
	b []float32
}

// layer is one encoder block.
type layer struct {
	q, k, v, o, fc1, fc2 dense
	attnNormW, attnNormB []float32
	outNormW, outNormB   []float32
}

// stage is one dense layer of a classifier and the activation after it
// (nil: none).
type stage struct {
	d   dense
	act models.Activation
}

// classifier is a sequence or token classification head.
type classifier struct {
	perToken   bool // token classification: every position
	fromPooler bool // BERT sequence classification reads the pooler output
	stages     []stage
}

// maskedLM is the masked-LM head: dense → act → LayerNorm → decoder + bias.
type maskedLM struct {
	transform    dense
	act          models.Activation
	normW, normB []float32
	eps          float32
	decoder      dense
}

var _ models.Encoder = (*Model)(nil)

// Load reads a BERT-family model from dir, whose config.json has been
// parsed into c. Every tensor is checked before anything is returned.
func Load(dir string, c *models.Config, opts models.LoadOptions) (*Model, error) {
	cfg, err := ParseConfig(c)
	if err != nil {
		return nil, err
	}
	return models.LoadWith(dir, "bert", opts.Pool, func(w *models.Weights) (*Model, error) {
		return build(cfg, w, opts)
	}, (*Model).lookupOnly)
}

// lookupOnly lists the embedding tables read only row by row, which loading
// leaves out of Prefault.
func (m *Model) lookupOnly() []*tensor.Matrix {
	skip := []*tensor.Matrix{m.pos, m.tokType}
	if m.mlm == nil || m.mlm.decoder.w != m.word {
		skip = append(skip, m.word) // else the tied masked-LM decoder reads all of it
	}
	return skip
}

func build(cfg *Config, w *models.Weights, opts models.LoadOptions) (*Model, error) {
	m := &Model{cfg: cfg, pool: opts.Pool, w: w}
	var err error
	if m.act, err = models.ParseActivation(cfg.Act); err != nil {
		return nil, fmt.Errorf("bert: %w", err)
	}
	n := namesFor(cfg.ModelType)
	// A head class keeps the base model under its prefix ("bert.",
	// "roberta.", "distilbert."); a base class usually has none.
	p := ""
	if w.Has(n.base + n.word + ".weight") {
		p = n.base
	}
	h, inter := cfg.HiddenSize, cfg.IntermediateSize
	m.word = w.Matrix(p+n.word+".weight", cfg.VocabSize, h)
	m.pos = w.Matrix(p+n.pos+".weight", cfg.MaxPositionEmbeddings, h)
	if n.tokType != "" {
		m.tokType = w.Matrix(p+n.tokType+".weight", cfg.TypeVocabSize, h)
	}
	m.embNormW, m.embNormB = w.Vector(p+n.embNormW, h), w.Vector(p+n.embNormB, h)
	m.layers = make([]layer, cfg.NumLayers)
	for i := range m.layers {
		lp := p + n.layer + strconv.Itoa(i) + "."
		m.layers[i] = layer{
			q: takeDense(w, lp+n.q, h, h), k: takeDense(w, lp+n.k, h, h), v: takeDense(w, lp+n.v, h, h),
			o: takeDense(w, lp+n.o, h, h), fc1: takeDense(w, lp+n.fc1, inter, h), fc2: takeDense(w, lp+n.fc2, h, inter),
			attnNormW: w.Vector(lp+n.attnNorm+".weight", h), attnNormB: w.Vector(lp+n.attnNorm+".bias", h),
			outNormW: w.Vector(lp+n.outNorm+".weight", h), outNormB: w.Vector(lp+n.outNorm+".bias", h),
		}
	}
	m.buildHead(w, p)
	if err := w.Err(); err != nil {
		return nil, fmt.Errorf("bert: %w", err)
	}
	hd := h / cfg.NumHeads
	m.attn = models.Attention{Heads: cfg.NumHeads, KVHeads: cfg.NumHeads, HeadDim: hd, Scale: float32(1 / math.Sqrt(float64(hd)))}
	m.info = models.Info{
		Architecture: cfg.Architecture, ModelType: cfg.ModelType, Family: "bert", Head: cfg.Head,
		WeightsDType: w.DType(), VocabSize: cfg.VocabSize, HiddenSize: h, NumLayers: cfg.NumLayers,
		MaxPositions: cfg.MaxPositions(), Labels: cfg.Labels, PadTokenID: cfg.PadTokenID,
		BOSTokenID: cfg.BOSTokenID, EOSTokenIDs: cfg.EOSTokenIDs, WeightBytes: w.Bytes(),
	}
	return m, nil
}

// takeDense takes name.weight [out, in] and name.bias [out].
func takeDense(w *models.Weights, name string, out, in int) dense {
	return dense{w: w.Matrix(name+".weight", out, in), b: w.Vector(name+".bias", out)}
}

// buildHead takes the pooler and the head's tensors. p is the base model's
// prefix.
func (m *Model) buildHead(w *models.Weights, p string) {
	cfg := m.cfg
	h, nl := cfg.HiddenSize, len(cfg.Labels)
	distil, roberta := cfg.ModelType == "distilbert", cfg.roberta()
	needPooler := cfg.Head == models.HeadSequenceClassification && !distil && !roberta
	if needPooler || (cfg.Head == models.HeadBase && w.Has(p+"pooler.dense.weight")) {
		d := takeDense(w, p+"pooler.dense", h, h)
		m.pooler = &d
	}
	switch cfg.Head {
	case models.HeadSequenceClassification:
		switch {
		case distil:
			relu, _ := models.ParseActivation("relu")
			m.cls = &classifier{stages: []stage{
				{takeDense(w, "pre_classifier", h, h), relu},
				{takeDense(w, "classifier", nl, h), nil},
			}}
		case roberta:
			m.cls = &classifier{stages: []stage{
				{takeDense(w, "classifier.dense", h, h), tensor.Tanh},
				{takeDense(w, "classifier.out_proj", nl, h), nil},
			}}
		default:
			m.cls = &classifier{fromPooler: true, stages: []stage{{takeDense(w, "classifier", nl, h), nil}}}
		}
	case models.HeadTokenClassification:
		m.cls = &classifier{perToken: true, stages: []stage{{takeDense(w, "classifier", nl, h), nil}}}
	case models.HeadMaskedLM:
		m.mlm = m.buildMaskedLM(w)
	}
}

// buildMaskedLM takes each flavour's masked-LM head.
func (m *Model) buildMaskedLM(w *models.Weights) *maskedLM {
	cfg := m.cfg
	h, v := cfg.HiddenSize, cfg.VocabSize
	var transform, norm, decoder, bias string
	head := &maskedLM{act: m.act, eps: cfg.LayerNormEps}
	switch {
	case cfg.ModelType == "distilbert":
		transform, norm, decoder, bias = "vocab_transform", "vocab_layer_norm", "vocab_projector.weight", "vocab_projector.bias"
	case cfg.roberta():
		transform, norm, decoder, bias = "lm_head.dense", "lm_head.layer_norm", "lm_head.decoder.weight", "lm_head.bias"
		head.act = tensor.GELU // RobertaLMHead calls gelu() whatever hidden_act says
	default:
		transform, norm, decoder, bias = "cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
			"cls.predictions.decoder.weight", "cls.predictions.bias"
		if !w.Has(bias) {
			bias = "cls.predictions.decoder.bias" // older checkpoints
		}
	}
	head.transform = takeDense(w, transform, h, h)
	head.normW, head.normB = w.Vector(norm+".weight", h), w.Vector(norm+".bias", h)
	if cfg.TieEmbeddings {
		head.decoder.w = m.word
	} else {
		head.decoder.w = w.Matrix(decoder, v, h)
	}
	head.decoder.b = w.Vector(bias, v)
	return head
}

// Info describes the model.
func (m *Model) Info() models.Info { return m.info }

// Config returns the parsed configuration.
func (m *Model) Config() *Config { return m.cfg }

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
