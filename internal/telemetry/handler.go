package telemetry

import (
	"context"
	"log/slog"
)

// contextHandler wraps a slog.Handler to add the context's request id to
// each record.
//
// Records go to the inner handler as they are when no group is open. Once
// WithGroup has been called, attributes added to a record land inside the
// open group, so to keep request_id at the top level the handler remembers
// the root handler and the WithAttrs/WithGroup calls made since, and replays
// them on top of root.WithAttrs(request_id) for records that carry an id.
// That costs an allocation or two per record, only for grouped loggers.
type contextHandler struct {
	inner slog.Handler // root with ops applied: what records go to
	root  slog.Handler // the handler NewHandler wrapped
	ops   []func(slog.Handler) slog.Handler
	group bool // whether ops open a group
}

// NewHandler wraps h so that every record logged with a context carrying a
// request id gets a top-level "request_id" attribute. Wrapping a handler
// that NewHandler already returned gives it back unchanged, so callers may
// wrap whatever handler they are handed without doubling the attribute.
func NewHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(*contextHandler); ok {
		return h
	}
	return &contextHandler{inner: h, root: h}
}

// Enabled reports whether the inner handler handles level.
func (h *contextHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle adds the request id, if ctx carries one, and passes r on.
func (h *contextHandler) Handle(ctx context.Context, r slog.Record) error {
	id := RequestID(ctx)
	if id == "" {
		return h.inner.Handle(ctx, r)
	}
	attr := slog.String(RequestIDKey, id)
	if !h.group {
		r = r.Clone() // the record's attribute storage may be shared with the caller's
		r.AddAttrs(attr)
		return h.inner.Handle(ctx, r)
	}
	target := h.root.WithAttrs([]slog.Attr{attr})
	for _, op := range h.ops {
		target = op(target)
	}
	return target.Handle(ctx, r)
}

// WithAttrs returns a wrapped handler whose records carry attrs.
func (h *contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(func(in slog.Handler) slog.Handler { return in.WithAttrs(attrs) }, false)
}

// WithGroup returns a wrapped handler that qualifies later attributes with
// the group name.
func (h *contextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h // slog's rule: an empty group name is no group
	}
	return h.with(func(in slog.Handler) slog.Handler { return in.WithGroup(name) }, true)
}

func (h *contextHandler) with(op func(slog.Handler) slog.Handler, opensGroup bool) *contextHandler {
	ops := make([]func(slog.Handler) slog.Handler, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)
	return &contextHandler{
		inner: op(h.inner),
		root:  h.root,
		ops:   append(ops, op),
		group: h.group || opensGroup,
	}
}
