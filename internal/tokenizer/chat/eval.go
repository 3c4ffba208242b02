package chat

import (
	"errors"
	"strings"
)

// scope is one level of variables: the globals, the template's top level, a
// loop iteration, a macro call. Lookups walk outwards; assignments go to the
// innermost level, so a {% set %} inside a loop does not leak out of it,
// while one inside an {% if %} does (ifs have no scope), as in Jinja.
type scope struct {
	vars   []binding
	inline [2]binding // most scopes (loop iterations) bind a name or two
	global map[string]any
	parent *scope
	// captured is set when a macro closes over this scope, which may then
	// not be reused for the next loop iteration.
	captured bool
}

type binding struct {
	name string
	val  any
}

func newScope(parent *scope) *scope {
	s := &scope{parent: parent}
	s.vars = s.inline[:0]
	return s
}

// reset empties a loop iteration's scope for the next one, unless a macro
// kept a reference to it.
func (s *scope) reset(parent *scope) *scope {
	if s == nil || s.captured {
		return newScope(parent)
	}
	clear(s.inline[:])
	s.vars = s.inline[:0]
	return s
}

// newGlobalScope is the outermost scope; it holds many names, so a map.
func newGlobalScope(vars map[string]any) *scope { return &scope{global: vars} }

func (s *scope) set(name string, v any) {
	if s.global != nil {
		s.global[name] = v
		return
	}
	for i := range s.vars {
		if s.vars[i].name == name {
			s.vars[i].val = v
			return
		}
	}
	s.vars = append(s.vars, binding{name, v})
}

func (s *scope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if s.global != nil {
			if v, ok := s.global[name]; ok {
				return v, true
			}
			continue
		}
		for i := range s.vars {
			if s.vars[i].name == name {
				return s.vars[i].val, true
			}
		}
	}
	return nil, false
}

// Loop control travels up the Go stack as these errors.
var (
	errBreak    = errors.New("break")
	errContinue = errors.New("continue")
)

// execBody runs nodes; errors come back with the line of the statement that
// failed.
func (r *renderer) execBody(nodes []node, sc *scope) error {
	for _, n := range nodes {
		if err := r.exec(n, sc); err != nil {
			return atLine(err, n.nodeLine())
		}
	}
	return nil
}

func (r *renderer) exec(n node, sc *scope) error {
	if err := r.step(); err != nil {
		return err
	}
	switch n := n.(type) {
	case *textNode:
		return r.write(n.text)
	case *outputNode:
		v, err := r.eval(n.expr, sc)
		if err != nil {
			return err
		}
		return r.write(str(v))
	case *ifNode:
		for i, c := range n.conds {
			v, err := r.eval(c, sc)
			if err != nil {
				return err
			}
			if truthy(v) {
				return r.execBody(n.bodies[i], sc)
			}
		}
		return r.execBody(n.orElse, sc)
	case *forNode:
		return r.execFor(n, sc)
	case *setNode:
		v, err := r.eval(n.value, sc)
		if err != nil {
			return err
		}
		return assign(sc, n.target, v)
	case *setBlockNode:
		v, err := r.filtered(n.body, n.filters, sc)
		if err != nil {
			return err
		}
		return assign(sc, n.target, v)
	case *macroNode:
		sc.set(n.name, r.makeMacro(n.mac, sc))
		return nil
	case *callBlockNode:
		caller := r.makeMacro(n.caller, sc)
		v, err := r.evalCall(n.call, sc, caller)
		if err != nil {
			return err
		}
		return r.write(str(v))
	case *filterBlockNode:
		v, err := r.filtered(n.body, n.filters, sc)
		if err != nil {
			return err
		}
		return r.write(str(v))
	case *withNode:
		inner := newScope(sc)
		for i, t := range n.targets {
			v, err := r.eval(n.values[i], sc)
			if err != nil {
				return err
			}
			if err := assign(inner, t, v); err != nil {
				return err
			}
		}
		return r.execBody(n.body, inner)
	case *blockNode:
		return r.execBody(n.body, sc)
	case *breakNode:
		return errBreak
	case *continueNode:
		return errContinue
	}
	return errorf("internal error: unknown node %T", n)
}

// filtered renders a block body and passes the text through filters, for
// {% set x | f %} and {% filter f %}.
func (r *renderer) filtered(body []node, filters []*filterExpr, sc *scope) (any, error) {
	s, err := r.capture(body, sc)
	if err != nil {
		return nil, err
	}
	var v any = s
	for _, f := range filters {
		if v, err = r.applyFilter(f, v, sc); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// capture renders nodes into a string instead of the output (set blocks,
// filter blocks, macro calls). Each capture is held to the output limit on
// its own and its result is charged to the allocation budget.
func (r *renderer) capture(nodes []node, sc *scope) (string, error) {
	saved := r.out
	r.out = newBuilder()
	err := r.execBody(nodes, sc)
	s := r.out.String()
	r.out = saved
	if err != nil {
		return "", err
	}
	return s, r.charge(len(s))
}

func newBuilder() *strings.Builder { return &strings.Builder{} }

// assign binds v to a target in sc.
func assign(sc *scope, t assignTarget, v any) error {
	switch {
	case t.tuple != nil:
		items, err := unpack(v, len(t.tuple))
		if err != nil {
			return err
		}
		for i, sub := range t.tuple {
			if err := assign(sc, sub, items[i]); err != nil {
				return err
			}
		}
		return nil
	case t.attr != "":
		obj, _ := sc.lookup(t.name)
		ns, ok := obj.(*namespace)
		if !ok {
			return errorf("cannot assign attribute on non-namespace object")
		}
		ns.attrs.set(t.attr, v)
		return nil
	}
	sc.set(t.name, v)
	return nil
}

// unpack splits a sequence into exactly n values, for a, b = ... and for
// loops over pairs.
func unpack(v any, n int) ([]any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	switch {
	case len(items) < n:
		return nil, errorf("not enough values to unpack (expected %d, got %d)", n, len(items))
	case len(items) > n:
		return nil, errorf("too many values to unpack (expected %d)", n)
	}
	return items, nil
}
