package emulator

import (
	"fmt"
	"strconv"
	"strings"
)

// An OData $filter expression as Microsoft Graph reads it (graph/filter-query-parameter,
// graph/query-parameters "filter parameter"): comparisons (eq, ne, gt, ge, lt, le),
// in, the functions startsWith and endsWith, the lambda operators any and all on
// multi-valued properties, not, and, or, and parentheses. A small tokenizer and a
// recursive-descent parser build the tree; checkFilter then holds it against what
// the resource's page documents for each property, and match evaluates it on an
// object as Graph writes it.

// filterNode is one node of a parsed $filter.
type filterNode interface{ String() string }

type (
	// boolNode is "left and right" or "left or right".
	boolNode struct {
		op          string // "and" | "or"
		left, right filterNode
	}
	// notNode is "not inner".
	notNode struct{ inner filterNode }
	// cmpNode is "prop op value" (op: eq ne gt ge lt le).
	cmpNode struct {
		prop, op string
		value    literal
	}
	// inNode is "prop in (v1, v2, …)".
	inNode struct {
		prop   string
		values []literal
	}
	// funcNode is "name(prop, value)" (startsWith, endsWith, contains).
	funcNode struct {
		name, prop string
		value      literal
	}
	// lambdaNode is "prop/any(v: body)" or "prop/all(v: body)"; body refers to the
	// collection's items by v.
	lambdaNode struct {
		prop, op, param string
		body            filterNode
	}
)

// literal is a constant of a $filter: a string, null, true/false, or a number.
type literal struct {
	kind string // "string", "null", "bool", "number"
	text string // the string's value, "true"/"false", the number as written
}

func (l literal) String() string {
	if l.kind == "string" {
		return "'" + strings.ReplaceAll(l.text, "'", "''") + "'"
	}
	return l.text
}
func (n boolNode) String() string {
	return "(" + n.left.String() + " " + n.op + " " + n.right.String() + ")"
}
func (n notNode) String() string { return "not " + n.inner.String() }
func (n cmpNode) String() string { return n.prop + " " + n.op + " " + n.value.String() }
func (n inNode) String() string {
	vs := make([]string, len(n.values))
	for i, v := range n.values {
		vs[i] = v.String()
	}
	return n.prop + " in (" + strings.Join(vs, ", ") + ")"
}
func (n funcNode) String() string { return n.name + "(" + n.prop + ", " + n.value.String() + ")" }
func (n lambdaNode) String() string {
	return n.prop + "/" + n.op + "(" + n.param + ":" + n.body.String() + ")"
}

// token is one lexical element of a $filter.
type token struct {
	kind string // "ident", "string", "number", "(", ")", ",", ":", "/", "eof"
	text string
	pos  int
}

// tokenize splits a $filter into tokens. Identifiers may carry dots (an OData
// type cast such as microsoft.graph.user) and a leading $ ($count); strings are
// single-quoted, a quote inside doubled (OData ABNF, SQUOTE-in-string).
func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.IndexByte("(),:/", c) >= 0:
			out = append(out, token{kind: string(c), text: string(c), pos: i})
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated string literal at position %d", i)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, token{kind: "string", text: b.String(), pos: i})
			i = j + 1
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			out = append(out, token{kind: "number", text: s[i:j], pos: i})
			i = j
		case c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] == '.' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, token{kind: "ident", text: s[i:j], pos: i})
			i = j
		default:
			return nil, fmt.Errorf("syntax error at position %d: unexpected '%c'", i, c)
		}
	}
	return append(out, token{kind: "eof", pos: len(s)}), nil
}

// filterParser is a recursive-descent parser over the tokens, one method per level of
// OData's precedence (or < and < not < comparison).
type filterParser struct {
	toks []token
	i    int
}

// parseFilter parses a $filter value; the error says where the syntax broke.
func parseFilter(s string) (filterNode, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, fmt.Errorf("syntax error at position %d: unexpected '%s'", t.pos, t.text)
	}
	return n, nil
}

func (p *filterParser) peek() token { return p.toks[p.i] }
func (p *filterParser) next() token { t := p.toks[p.i]; p.i++; return t }

// keyword reports whether the next token is the identifier kw (OData keywords are
// case-insensitive in Graph: "NOT startsWith(…)" on graph/aad-advanced-queries).
func (p *filterParser) keyword(kw string) bool {
	t := p.peek()
	return t.kind == "ident" && strings.EqualFold(t.text, kw)
}

func (p *filterParser) expect(kind string) (token, error) {
	t := p.next()
	if t.kind != kind {
		if t.kind == "eof" {
			return t, fmt.Errorf("syntax error: '%s' expected at the end", kind)
		}
		return t, fmt.Errorf("syntax error at position %d: '%s' expected, found '%s'", t.pos, kind, t.text)
	}
	return t, nil
}

func (p *filterParser) or() (filterNode, error) {
	left, err := p.and()
	for err == nil && p.keyword("or") {
		p.next()
		var right filterNode
		if right, err = p.and(); err == nil {
			left = boolNode{op: "or", left: left, right: right}
		}
	}
	return left, err
}

func (p *filterParser) and() (filterNode, error) {
	left, err := p.unary()
	for err == nil && p.keyword("and") {
		p.next()
		var right filterNode
		if right, err = p.unary(); err == nil {
			left = boolNode{op: "and", left: left, right: right}
		}
	}
	return left, err
}

func (p *filterParser) unary() (filterNode, error) {
	if p.keyword("not") {
		p.next()
		inner, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notNode{inner: inner}, nil
	}
	return p.primary()
}

var comparisonOps = []string{"eq", "ne", "gt", "ge", "lt", "le"}

func (p *filterParser) primary() (filterNode, error) {
	t := p.peek()
	if t.kind == "(" {
		p.next()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return n, nil
	}
	if t.kind != "ident" {
		if t.kind == "eof" {
			return nil, fmt.Errorf("syntax error: an expression is missing at the end")
		}
		return nil, fmt.Errorf("syntax error at position %d: a property or function expected, found '%s'", t.pos, t.text)
	}
	p.next()
	if p.peek().kind == "(" { // a function call: name(property, literal)
		p.next()
		prop, err := p.path()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(","); err != nil {
			return nil, err
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return funcNode{name: t.text, prop: prop, value: v}, nil
	}
	prop := t.text
	for p.peek().kind == "/" {
		p.next()
		seg, err := p.expect("ident")
		if err != nil {
			return nil, err
		}
		if (strings.EqualFold(seg.text, "any") || strings.EqualFold(seg.text, "all")) && p.peek().kind == "(" {
			return p.lambda(prop, strings.ToLower(seg.text))
		}
		prop += "/" + seg.text
	}
	op := p.next()
	if op.kind == "ident" && strings.EqualFold(op.text, "in") {
		if _, err := p.expect("("); err != nil {
			return nil, err
		}
		var vals []literal
		for {
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
			if p.peek().kind != "," {
				break
			}
			p.next()
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return inNode{prop: prop, values: vals}, nil
	}
	if op.kind != "ident" || !containsFold(comparisonOps, op.text) {
		if op.kind == "eof" {
			return nil, fmt.Errorf("syntax error: an operator is missing after '%s'", prop)
		}
		return nil, fmt.Errorf("syntax error at position %d: an operator expected after '%s', found '%s'", op.pos, prop, op.text)
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	return cmpNode{prop: prop, op: strings.ToLower(op.text), value: v}, nil
}

// path is a property, possibly with /-separated segments.
func (p *filterParser) path() (string, error) {
	t, err := p.expect("ident")
	if err != nil {
		return "", err
	}
	out := t.text
	for p.peek().kind == "/" {
		p.next()
		seg, err := p.expect("ident")
		if err != nil {
			return "", err
		}
		out += "/" + seg.text
	}
	return out, nil
}

// lambda parses "(v: body)" after "prop/any" or "prop/all".
func (p *filterParser) lambda(prop, op string) (filterNode, error) {
	p.next() // (
	param, err := p.expect("ident")
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(":"); err != nil {
		return nil, err
	}
	body, err := p.or()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	return lambdaNode{prop: prop, op: op, param: param.text, body: body}, nil
}

func (p *filterParser) literal() (literal, error) {
	t := p.next()
	switch {
	case t.kind == "string":
		return literal{kind: "string", text: t.text}, nil
	case t.kind == "number":
		if _, err := strconv.ParseFloat(t.text, 64); err != nil {
			return literal{}, fmt.Errorf("syntax error at position %d: '%s' is not a number", t.pos, t.text)
		}
		return literal{kind: "number", text: t.text}, nil
	case t.kind == "ident" && strings.EqualFold(t.text, "null"):
		return literal{kind: "null", text: "null"}, nil
	case t.kind == "ident" && (strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false")):
		return literal{kind: "bool", text: strings.ToLower(t.text)}, nil
	case t.kind == "eof":
		return literal{}, fmt.Errorf("syntax error: a value is missing at the end")
	}
	return literal{}, fmt.Errorf("syntax error at position %d: a value expected, found '%s'", t.pos, t.text)
}
