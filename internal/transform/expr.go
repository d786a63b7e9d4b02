package transform

import (
	"errors"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser/lexer"
	"github.com/expr-lang/expr/vm"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

// maxNodes bounds an expression's size: derive and filter expressions are short,
// and the bound keeps a hostile spec from making compilation expensive.
const maxNodes = 2000

// containsAlias stands in for the contains() function: expr lexes `contains` as
// an infix operator, so `contains(s, x)` is rewritten to this same-length name
// before parsing (keeping error columns right), and back in messages.
const containsAlias = "_contain"

// expression is one compiled expression of a derive or filter step.
type expression struct {
	text   string
	pos    spec.Pos
	prog   *vm.Program
	refs   []ref       // columns the expression reads, in order of first use
	allEnv bool        // the expression reads $env dynamically: give it every column
	static record.Type // the result type when the expression fixes it
}

// ref is a column reference inside an expression, with its rune offset there.
type ref struct {
	name   string
	offset int
}

// compileExpr compiles text once. what names the expression in messages
// ("derive amount_eur", "filter"). Errors are *spec.Error at the position of the
// problem inside the expression when it can be mapped.
func compileExpr(lib *library, what string, e spec.Expr) (*expression, error) {
	text := aliasContains(e.Text)
	w := &walker{lib: lib}
	opts := append(lib.options(),
		expr.Env(map[string]any{}), // a map environment: columns load without reflection
		expr.AllowUndefinedVariables(),
		expr.MaxNodes(maxNodes),
		expr.Patch(collector{w}),
		expr.Patch(rewriter{w}),
	)
	prog, err := expr.Compile(text, opts...)
	if len(w.errs) > 0 { // ours are more precise than what the checker makes of them
		errs := make([]error, len(w.errs))
		for i, ne := range w.errs {
			errs[i] = exprError(e, what, text, ne.offset, ne.msg)
		}
		return nil, errors.Join(errs...)
	}
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, exprError(e, what, text, fe.From, fe.Message)
		}
		return nil, spec.Errorf(e.Pos, "%s: %s", what, unalias(err.Error()))
	}
	p := &expression{text: e.Text, pos: e.Pos, prog: prog, refs: w.refs, allEnv: w.envUses > w.envRefs}
	p.static = staticType(prog.Node().Type())
	return p, nil
}

// exprError maps a rune offset in the expression to a spec position: exact for a
// single-line expression, by line otherwise.
func exprError(e spec.Expr, what, text string, offset int, msg string) error {
	line, col := 1, 0
	for i, r := range []rune(text) {
		if i == offset {
			break
		}
		if r == '\n' {
			line++
			col = 0
		} else {
			col++
		}
	}
	pos := e.Pos
	msg = strings.TrimSpace(unalias(msg))
	if line == 1 {
		if pos.Col > 0 {
			pos.Col += col
		}
		return spec.Errorf(pos, "%s: %s", what, msg)
	}
	if pos.Line > 0 {
		pos.Line += line - 1
		pos.Col = 0
	}
	return spec.Errorf(pos, "%s: %s (expression line %d, column %d)", what, msg, line, col+1)
}

// staticType maps the checker's result type to a column type, when it is one
// that values will really have.
func staticType(t reflect.Type) record.Type {
	if t == nil {
		return record.Type{}
	}
	switch t.Kind() {
	case reflect.Bool:
		return record.Boolean
	case reflect.String:
		return record.Text
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if t == reflect.TypeOf(time.Duration(0)) {
			return record.Type{}
		}
		return record.Bigint
	case reflect.Float32, reflect.Float64:
		return record.Double
	}
	return record.Type{}
}

// aliasContains rewrites calls of contains( to the alias, using expr's lexer so
// that strings and the infix operator are left alone.
func aliasContains(text string) string {
	if !strings.Contains(text, "contains") {
		return text
	}
	toks, err := lexer.Lex(file.NewSource(text))
	if err != nil {
		return text // the parser reports it
	}
	runes := []rune(text)
	changed := false
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		if t.Kind == lexer.Operator && t.Value == "contains" && toks[i+1].Is(lexer.Bracket, "(") &&
			(i == 0 || !endsOperand(toks[i-1])) && t.From+len(containsAlias) <= len(runes) {
			copy(runes[t.From:], []rune(containsAlias))
			changed = true
		}
	}
	if !changed {
		return text
	}
	return string(runes)
}

// endsOperand reports whether a token can end an operand, in which case a
// following `contains` is the infix operator: `s contains ("x")`.
func endsOperand(t lexer.Token) bool {
	switch t.Kind {
	case lexer.Identifier, lexer.Number, lexer.String, lexer.Bytes:
		return true
	case lexer.Bracket:
		return t.Value == ")" || t.Value == "]" || t.Value == "}"
	}
	return false
}

func unalias(msg string) string { return strings.ReplaceAll(msg, containsAlias, "contains") }

// walker gathers what the collector finds for the rewriter and for Bind.
type walker struct {
	lib     *library
	idents  map[*ast.IdentifierNode]bool // identifiers seen by the collector
	callees map[*ast.IdentifierNode]bool // identifiers that name a called function
	lets    map[string]bool              // names declared with let
	envRefs int                          // $env.name and $env["name"] accesses
	envUses int                          // every use of $env
	refs    []ref
	errs    []nodeError
}

type nodeError struct {
	offset int
	msg    string
}

// collector is the first pass: it records identifiers, callees and let names,
// and checks calls of known functions for their argument count.
type collector struct{ w *walker }

func (c collector) Visit(node *ast.Node) {
	w := c.w
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if n.Value == "$env" {
			w.envUses++
			return
		}
		if w.idents == nil {
			w.idents = map[*ast.IdentifierNode]bool{}
		}
		w.idents[n] = true
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "$env" {
			if s, ok := n.Property.(*ast.StringNode); ok {
				w.envRefs++
				w.addRef(s.Value, n.Location().From)
			}
		}
	case *ast.VariableDeclaratorNode:
		if w.lets == nil {
			w.lets = map[string]bool{}
		}
		w.lets[n.Name] = true
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		if w.callees == nil {
			w.callees = map[*ast.IdentifierNode]bool{}
		}
		w.callees[id] = true
		if f := w.lib.lookup(id.Value); f != nil {
			if msg := f.checkArity(len(n.Arguments)); msg != "" {
				w.errs = append(w.errs, nodeError{id.Location().From, msg})
			}
			if msg := w.lib.checkConstants(f.name, n.Arguments); msg != "" {
				w.errs = append(w.errs, nodeError{id.Location().From, msg})
			}
		} else if !w.lib.isBuiltin(id.Value) && !w.lets[id.Value] {
			w.errs = append(w.errs, nodeError{id.Location().From, w.lib.unknown(id.Value)})
		}
	}
}

// rewriter is the second pass: every free identifier is a column reference; one
// that shares its name with a function is rewritten to $env["name"] so that a
// column called year or length still reads the column.
type rewriter struct{ w *walker }

func (r rewriter) Visit(node *ast.Node) {
	w := r.w
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok || !w.idents[id] || w.callees[id] || w.lets[id.Value] {
		return
	}
	w.addRef(id.Value, id.Location().From)
	if w.lib.funcs[id.Value] != nil || w.lib.isBuiltin(id.Value) {
		env := &ast.IdentifierNode{Value: "$env"}
		prop := &ast.StringNode{Value: id.Value}
		env.SetLocation(id.Location())
		prop.SetLocation(id.Location())
		ast.Patch(node, &ast.MemberNode{Node: env, Property: prop})
	}
}

func (w *walker) addRef(name string, offset int) {
	for _, r := range w.refs {
		if r.name == name {
			return
		}
	}
	w.refs = append(w.refs, ref{name: name, offset: offset})
}
