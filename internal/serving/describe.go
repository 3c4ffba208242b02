package serving

import (
	"context"
	"fmt"

	"hfserve/internal/skills"
)

// describe is Describe's work; see its documentation.
func (s *Service) describe(ctx context.Context, name string) (*ModelDescription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := s.resolve(name)
	if err != nil {
		return nil, err
	}
	info, err := skills.Inspect(e.Dir)
	if err != nil {
		return nil, fmt.Errorf("serving: model %q: %w", e.Name, err)
	}
	d := &ModelDescription{Entry: e, Serves: e.Serves(), DType: info.DType, MaxPositions: info.ContextLength, Params: info.Params}
	if mc := e.Spec.MaxContext; mc > 0 && (d.MaxPositions <= 0 || mc < d.MaxPositions) {
		d.MaxPositions = mc
	}
	return d, nil
}
