package chat

import "errors"

// loopInfo is the `loop` variable inside a for loop.
type loopInfo struct {
	items []any
	index int
	depth int // 1 for the outermost level of a recursive loop
	// For recursive loops: calling loop(children) renders the body again.
	node  *forNode
	scope *scope
	// The arguments of the last loop.changed(...) call.
	lastChanged []any
	changedOnce bool
}

func (r *renderer) execFor(n *forNode, sc *scope) error {
	iterable, err := r.eval(n.iter, sc)
	if err != nil {
		return err
	}
	return r.runLoop(n, sc, iterable, 1)
}

func (r *renderer) runLoop(n *forNode, sc *scope, iterable any, depth int) error {
	items, err := iterate(iterable)
	if err != nil {
		return err
	}
	if n.filter != nil {
		// The if clause filters before the loop runs, so loop.length and
		// loop.last count only the items that pass.
		kept := make([]any, 0, len(items))
		for _, it := range items {
			inner := newScope(sc)
			if err := assign(inner, n.target, it); err != nil {
				return err
			}
			ok, err := r.eval(n.filter, inner)
			if err != nil {
				return err
			}
			if truthy(ok) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return r.execBody(n.orElse, sc)
	}
	info := &loopInfo{items: items, depth: depth, node: n, scope: sc}
	var inner *scope
	for i, it := range items {
		info.index = i
		inner = inner.reset(sc)
		if err := assign(inner, n.target, it); err != nil {
			return err
		}
		inner.set("loop", info)
		err := r.execBody(n.body, inner)
		if errors.Is(err, errBreak) {
			break
		}
		if err != nil && !errors.Is(err, errContinue) {
			return err
		}
		if err := r.step(); err != nil {
			return err
		}
	}
	return nil
}

// loopAttr resolves loop.<name>.
func loopAttr(l *loopInfo, name string) any {
	n := len(l.items)
	switch name {
	case "index":
		return int64(l.index + 1)
	case "index0":
		return int64(l.index)
	case "revindex":
		return int64(n - l.index)
	case "revindex0":
		return int64(n - l.index - 1)
	case "first":
		return l.index == 0
	case "last":
		return l.index == n-1
	case "length":
		return int64(n)
	case "depth":
		return int64(l.depth)
	case "depth0":
		return int64(l.depth - 1)
	case "previtem":
		if l.index == 0 {
			return undefined{hint: "there is no previous item"}
		}
		return l.items[l.index-1]
	case "nextitem":
		if l.index == n-1 {
			return undefined{hint: "there is no next item"}
		}
		return l.items[l.index+1]
	case "cycle":
		return &function{name: "loop.cycle", call: func(r *renderer, args []any, kw *dict) (any, error) {
			if len(args) == 0 {
				return nil, errorf("no items for cycling given")
			}
			return args[l.index%len(args)], nil
		}}
	case "changed":
		return &function{name: "loop.changed", call: func(r *renderer, args []any, kw *dict) (any, error) {
			cur := newTuple(args...)
			if l.changedOnce && equal(newTuple(l.lastChanged...), cur) {
				return false, nil
			}
			l.changedOnce, l.lastChanged = true, args
			return true, nil
		}}
	}
	return undefined{hint: "'LoopContext' object has no attribute '" + name + "'"}
}

// callLoop is loop(children) in a recursive loop: the loop body again, one
// level deeper, its output returned as a string.
func (r *renderer) callLoop(l *loopInfo, args []any) (any, error) {
	if !l.node.recursive {
		return nil, errorf("Tried to call non recursive loop. Maybe you forgot the 'recursive' modifier.")
	}
	if len(args) != 1 {
		return nil, errorf("loop() takes exactly one argument")
	}
	if err := r.enterCall(); err != nil {
		return nil, err
	}
	defer r.leaveCall()
	saved := r.out
	r.out = newBuilder()
	err := r.runLoop(l.node, l.scope, args[0], l.depth+1)
	s := r.out.String()
	r.out = saved
	if err != nil {
		return nil, err
	}
	return s, r.charge(len(s))
}
