package serving

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/skills"
	"hfserve/internal/telemetry"
)

// resolve finds the catalog entry a request names; "" is the default model.
func (s *Service) resolve(name string) (Entry, error) {
	if name == "" {
		name = s.defaultModel
	}
	e, ok := s.cat.Lookup(name)
	if !ok {
		return Entry{}, fmt.Errorf("model %q: %w", name, ErrUnknownModel)
	}
	return e, nil
}

// acquire resolves name, checks that the model serves task (when task is
// not empty) and leases it with its runtime. The task is checked against
// the catalog entry before anything is loaded, so a request for the wrong
// kind of model never costs a load or evicts another model. The caller
// must Release the lease.
func (s *Service) acquire(ctx context.Context, c *call, name string, task skills.Task) (*Lease, *Runtime, error) {
	e, err := s.resolve(name)
	if err != nil {
		return nil, nil, err
	}
	// A catalog name, never the client's own string: it labels metrics.
	telemetry.RequestFrom(ctx).SetModel(e.Name)
	trace.SpanFromContext(ctx).SetAttributes(telemetry.AttrModel.String(e.Name))
	if serves := e.Serves(); task != "" && !serves.HasTask(task) {
		return nil, nil, &TaskError{Model: e.Name, Task: task, Serves: serves.Tasks}
	}
	if err := s.enter(ctx, c, e.Name); err != nil {
		return nil, nil, err
	}
	lease, err := s.m.Acquire(ctx, e.Name)
	if err != nil {
		return nil, nil, err
	}
	rt, err := lease.Runtime()
	if err != nil {
		lease.Release()
		return nil, nil, err
	}
	return lease, rt, nil
}

// taskError is the *TaskError for a runtime that cannot do task after all
// (its loaded form disagrees with its catalog entry: a configured task the
// engine's model type cannot run, say).
func taskError(rt *Runtime, task skills.Task) error {
	return &TaskError{Model: rt.Entry.Name, Task: task, Serves: rt.Serves.Tasks}
}

// inputErr builds an *InputError with a formatted message.
func inputErr(param, format string, args ...any) error {
	return &InputError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// indexed names element i of a list parameter, as "input[3]".
func indexed(param string, i int) string { return fmt.Sprintf("%s[%d]", param, i) }
