package chat

// Statements. Every node records the line it starts on, so that runtime
// errors can name it.

type node interface{ nodeLine() int }

type pos struct{ line int }

func (p pos) nodeLine() int { return p.line }

type (
	textNode struct {
		pos
		text string
	}
	outputNode struct {
		pos
		expr expr
	}

	ifNode struct {
		pos
		conds  []expr   // if, then each elif
		bodies [][]node // one per cond
		orElse []node
	}

	forNode struct {
		pos
		target    assignTarget
		iter      expr
		filter    expr // the `if` clause, or nil
		body      []node
		orElse    []node
		recursive bool
	}

	// setNode is {% set target = value %}.
	setNode struct {
		pos
		target assignTarget
		value  expr
	}

	// setBlockNode is {% set name | filters %}body{% endset %}.
	setBlockNode struct {
		pos
		target  assignTarget
		filters []*filterExpr // applied in order, base nil
		body    []node
	}

	macroNode struct {
		pos
		name string
		mac  *macroDef
	}

	// callBlockNode is {% call(params) macro(args) %}body{% endcall %}.
	callBlockNode struct {
		pos
		call   *callExpr
		caller *macroDef
	}

	filterBlockNode struct {
		pos
		filters []*filterExpr
		body    []node
	}

	withNode struct {
		pos
		targets []assignTarget
		values  []expr
		body    []node
	}

	// blockNode holds a body rendered in place with no scope of its own:
	// {% generation %} and standalone {% block %}.
	blockNode struct {
		pos
		body []node
	}

	breakNode    struct{ pos }
	continueNode struct{ pos }
)

// macroDef is the compiled body of a macro or of a call block's caller.
type macroDef struct {
	name     string
	params   []string
	defaults []expr // aligned with the tail of params
	body     []node
}

// assignTarget is a name, a namespace attribute (ns.x) or a tuple of names.
type assignTarget struct {
	name  string         // a plain name
	attr  string         // with name: {% set name.attr = ... %}
	tuple []assignTarget // a, b = ...
}

// Expressions.

type expr interface{ exprLine() int }

func (p pos) exprLine() int { return p.line }

type (
	constExpr struct {
		pos
		val any
	}
	nameExpr struct {
		pos
		name string
	}
	attrExpr struct {
		pos
		obj  expr
		name string
	}
	itemExpr struct {
		pos
		obj, key expr
	}
	sliceExpr struct {
		pos
		obj, lo, hi, step expr
	} // bounds may be nil
	listExpr struct {
		pos
		items []expr
		tuple bool
	}
	dictExpr struct {
		pos
		keys, vals []expr
	}

	callExpr struct {
		pos
		fn     expr
		args   []expr
		kwargs []kwarg
		star   expr // *args, or nil
		kwStar expr // **kwargs, or nil
	}

	// filterExpr is base|name(args); base is nil inside filter blocks.
	filterExpr struct {
		pos
		base   expr
		name   string
		args   []expr
		kwargs []kwarg
	}

	testExpr struct {
		pos
		base    expr
		name    string
		args    []expr
		negated bool
	}

	unaryExpr struct {
		pos
		op string
		x  expr
	} // not, -, +
	binExpr struct {
		pos
		op   string
		l, r expr
	} // + - * / // % ** and or
	concatExpr struct {
		pos
		parts []expr
	} // a ~ b ~ c

	compareExpr struct {
		pos
		first expr
		ops   []string // ==, !=, <, <=, >, >=, in, notin
		rest  []expr
	}

	condExpr struct {
		pos
		cond, yes, no expr
	} // no may be nil
)

type kwarg struct {
	name string
	val  expr
}
