package gpt2

import (
	"context"
	"fmt"

	"hfserve/internal/models"
	"hfserve/internal/tensor"
)

// Forward runs one ragged step (see models.Decoder).
func (m *Model) Forward(ctx context.Context, b *models.Batch) ([]float32, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, models.ErrClosed
	}
	st, err := m.spec.Prepare(b, m.cfg.VocabSize)
	if err != nil {
		return nil, err
	}
	if st.Rows == 0 {
		return []float32{}, nil // only empty sequences: nothing to compute
	}
	if !b.Hidden && m.lmHead == nil {
		return nil, fmt.Errorf("gpt2: %s has no LM head: ask for hidden states: %w", m.cfg.Architecture, models.ErrBadInput)
	}
	h := m.cfg.HiddenSize
	x := make([]float32, st.Rows*h)
	pos := make([]float32, h)
	for r, tok := range st.Tokens {
		m.wte.Row(int(tok), x[r*h:(r+1)*h])
		m.wpe.Row(st.Positions[r], pos)
		tensor.Add(x[r*h:(r+1)*h], x[r*h:(r+1)*h], pos)
	}
	s := newScratch(m.cfg, st.Rows)
	for i := range m.layers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("gpt2: forward stopped before layer %d: %w", i, err)
		}
		m.block(st, i, x, s)
	}
	st.Commit()
	return m.outputs(st, x, b), nil
}

// scratch holds one forward pass's activations.
type scratch struct{ h, qkv, q, k, v, att, fc []float32 }

func newScratch(cfg *Config, rows int) *scratch {
	h := cfg.HiddenSize
	return &scratch{
		h: make([]float32, rows*h), qkv: make([]float32, rows*3*h),
		q: make([]float32, rows*h), k: make([]float32, rows*h), v: make([]float32, rows*h),
		att: make([]float32, rows*h), fc: make([]float32, rows*cfg.InnerSize),
	}
}

// block runs layer i on x in place:
// x += proj(attn(split(c_attn(ln_1(x))))); x += c_proj(act(c_fc(ln_2(x)))).
// The row-wise steps (norms, residual adds, the q|k|v split) are split by rows
// over the pool when there are enough rows (models.ForRows); rows are
// independent in all of them, so the split changes no result.
func (m *Model) block(st *models.Step, i int, x []float32, s *scratch) {
	cfg, l, p := m.cfg, &m.layers[i], m.pool
	n, h, eps := st.Rows, cfg.HiddenSize, cfg.LayerNormEps
	models.ForRows(p, n, h, func(lo, hi int) {
		tensor.LayerNorm(s.h[lo*h:hi*h], x[lo*h:hi*h], l.ln1W, l.ln1B, hi-lo, eps)
	})
	tensor.Linear(p, s.qkv, s.h, n, l.attn, l.attnB)
	models.ForRows(p, n, 3*h, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := s.qkv[r*3*h:]
			copy(s.q[r*h:(r+1)*h], row[:h])
			copy(s.k[r*h:(r+1)*h], row[h:2*h])
			copy(s.v[r*h:(r+1)*h], row[2*h:3*h])
		}
	})
	m.attn[i].Causal(p, st, i, s.att, s.q, s.k, s.v)
	tensor.Linear(p, s.h, s.att, n, l.proj, l.projB)
	models.ForRows(p, n, h, func(lo, hi int) {
		xs, hs := x[lo*h:hi*h], s.h[lo*h:hi*h]
		tensor.Add(xs, xs, hs)
		tensor.LayerNorm(hs, xs, l.ln2W, l.ln2B, hi-lo, eps)
	})
	tensor.Linear(p, s.fc, s.h, n, l.fc, l.fcB)
	m.act.Apply(p, s.fc, n)
	tensor.Linear(p, s.h, s.fc, n, l.fcProj, l.fcProjB)
	models.ForRows(p, n, h, func(lo, hi int) {
		xs := x[lo*h : hi*h]
		tensor.Add(xs, xs, s.h[lo*h:hi*h])
	})
}

// outputs applies ln_f to the rows that produce output and, for logits, the
// LM head.
func (m *Model) outputs(st *models.Step, x []float32, b *models.Batch) []float32 {
	h := m.cfg.HiddenSize
	rows := len(st.OutRows)
	var sel []float32
	if b.Hidden {
		sel = b.OutBuffer(rows * h)
	} else {
		sel = make([]float32, rows*h)
	}
	for j, r := range st.OutRows {
		copy(sel[j*h:(j+1)*h], x[r*h:(r+1)*h])
	}
	tensor.LayerNorm(sel, sel, m.lnfW, m.lnfB, rows, m.cfg.LayerNormEps)
	if b.Hidden {
		return sel
	}
	logits := b.OutBuffer(rows * m.cfg.VocabSize)
	if rows > 0 {
		tensor.Linear(m.pool, logits, sel, rows, m.lmHead, nil)
	}
	return logits
}
