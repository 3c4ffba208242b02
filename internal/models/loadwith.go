package models

import (
	"fmt"

	"hfserve/internal/tensor"
)

// LoadWith is the loading sequence every model family shares: open dir's
// weights, ask the OS to read them ahead, assemble the model with build, and
// prefault every matrix build took except the row-lookup tables lookupOnly
// names (see Weights.Prefault). If build fails the weights are closed and its
// error returned as is; an error opening them is prefixed with family.
func LoadWith[M any](dir, family string, pool *tensor.Pool, build func(*Weights) (M, error), lookupOnly func(M) []*tensor.Matrix) (M, error) {
	w, err := OpenWeights(dir)
	if err != nil {
		var zero M
		return zero, fmt.Errorf("%s: %w", family, err)
	}
	w.ReadAhead()
	m, err := build(w)
	if err != nil {
		_ = w.Close()
		return m, err
	}
	w.Prefault(pool, lookupOnly(m)...)
	return m, nil
}
