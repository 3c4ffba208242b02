package chat

import "slices"

// makeMacro turns a macro definition into a callable closing over the scope
// it was defined in (so it sees the template's variables as they are when it
// is called, but not the caller's loop variables, as in Jinja).
func (r *renderer) makeMacro(m *macroDef, defScope *scope) *function {
	defScope.captured = true
	return &function{name: m.name, call: func(r *renderer, args []any, kwargs *dict) (any, error) {
		return r.callMacro(m, defScope, args, kwargs)
	}}
}

func (r *renderer) enterCall() error {
	r.depth++
	if r.depth > r.limits.MaxDepth {
		return &limitHit{limit: "depth", max: r.limits.MaxDepth}
	}
	return nil
}

func (r *renderer) leaveCall() { r.depth-- }

func (r *renderer) callMacro(m *macroDef, defScope *scope, args []any, kwargs *dict) (any, error) {
	if err := r.enterCall(); err != nil {
		return nil, err
	}
	defer r.leaveCall()
	sc := newScope(defScope)
	firstDefault := len(m.params) - len(m.defaults)
	for i, name := range m.params {
		switch v, ok := kwargs.get(name); {
		case i < len(args):
			if ok {
				return nil, errorf("macro '%s' got multiple values for argument '%s'", m.name, name)
			}
			sc.set(name, args[i])
		case ok:
			sc.set(name, v)
		case i >= firstDefault:
			d, err := r.eval(m.defaults[i-firstDefault], sc)
			if err != nil {
				return nil, err
			}
			sc.set(name, d)
		default:
			sc.set(name, undefined{hint: "parameter '" + name + "' was not provided"})
		}
	}
	var extra []any
	if len(args) > len(m.params) {
		extra = args[len(m.params):]
	}
	sc.set("varargs", newTuple(extra...))
	rest := newDict(0)
	if kwargs != nil {
		for i := range kwargs.keys {
			k, v := kwargs.at(i)
			switch ks := k.(string); {
			case ks == "caller":
				sc.set("caller", v) // the body of a {% call %} block
			case !slices.Contains(m.params, ks):
				rest.set(k, v)
			}
		}
	}
	sc.set("kwargs", rest)
	return r.capture(m.body, sc)
}
