package emulator

import (
	"strconv"
	"strings"
)

// What each resource's page documents of $filter (filterSchema), the check of a parsed
// filter against it (checkFilter), and the evaluation of a filter on an object as
// Graph writes it (match). The parser is odata.go.

// filterSchema is what a resource's page documents of $filter: per property, the
// operators it supports. Any other property, or operator, is refused.
type filterSchema struct {
	// resource is the type's name as Graph's error messages write it ("ServicePrincipal").
	resource string
	props    map[string]filterProp // by lower-case name
}

// filterProp is one filterable property.
type filterProp struct {
	name string // as Graph writes it
	// ops are the documented operators: eq ne not ge le in startsWith endsWith, and
	// "null" for eq on null values.
	ops []string
	// multi: a collection (String collection), filtered only through any().
	multi bool
}

func schemaOf(resource string, props ...filterProp) filterSchema {
	s := filterSchema{resource: resource, props: map[string]filterProp{}}
	for _, p := range props {
		s.props[strings.ToLower(p.name)] = p
	}
	return s
}

func ops(list ...string) []string { return list }

var (
	// servicePrincipalFilter: graph/api/resources/serviceprincipal, "Properties" (each
	// property's "Supports $filter (…)"); "The any operator is required for filter
	// expressions on multi-valued properties" (servicePrincipalNames, tags).
	servicePrincipalFilter = schemaOf("ServicePrincipal",
		filterProp{name: "accountEnabled", ops: ops("eq", "ne", "not", "in")},
		filterProp{name: "appDisplayName", ops: ops("eq", "ne", "not", "ge", "le", "in", "startsWith", "null")},
		filterProp{name: "appId", ops: ops("eq", "ne", "not", "in", "startsWith")},
		filterProp{name: "appOwnerOrganizationId", ops: ops("eq", "ne", "not", "ge", "le")},
		filterProp{name: "appRoleAssignmentRequired", ops: ops("eq", "ne", "not")},
		filterProp{name: "displayName", ops: ops("eq", "ne", "not", "ge", "le", "in", "startsWith", "null")},
		filterProp{name: "id", ops: ops("eq", "ne", "not", "in")},
		filterProp{name: "servicePrincipalNames", ops: ops("eq", "not", "ge", "le", "startsWith"), multi: true},
		filterProp{name: "tags", ops: ops("eq", "not", "ge", "le", "startsWith"), multi: true},
	)
	// grantFilter: graph/api/resources/oauth2permissiongrant, "Properties": clientId,
	// consentType, principalId and resourceId "Supports $filter (eq only)".
	grantFilter = schemaOf("OAuth2PermissionGrant",
		filterProp{name: "clientId", ops: ops("eq")},
		filterProp{name: "consentType", ops: ops("eq")},
		filterProp{name: "principalId", ops: ops("eq")},
		filterProp{name: "resourceId", ops: ops("eq")},
	)
	// assignmentFilter: graph/api/resources/approleassignment, "Properties":
	// principalDisplayName "Supports $filter (eq and startswith)", resourceId "(eq only)".
	assignmentFilter = schemaOf("AppRoleAssignment",
		filterProp{name: "principalDisplayName", ops: ops("eq", "startsWith")},
		filterProp{name: "resourceId", ops: ops("eq")},
	)
)

// filterProblem is why a parsed $filter is refused, or what it needs.
type filterProblem struct {
	// unsupported names the property (or function) the resource does not filter on
	// that way: 400 Request_UnsupportedQuery.
	unsupported string
	// advanced names what works only as an advanced query (graph/aad-advanced-queries):
	// 400 unless ConsistencyLevel: eventual and $count=true are sent.
	advanced string
}

// checkFilter holds a parsed $filter against the schema. It returns the first
// unsupported clause, else the first clause needing advanced query parameters
// (graph/aad-advanced-queries, "Support for filter by properties of Microsoft Entra
// ID (directory) objects": "The not and ne negation operators are supported only with
// advanced query parameters"; "The in operator is supported by default whenever eq
// operator is supported by default"; "The endsWith operator is supported only with
// advanced query parameters by mail, otherMails, userPrincipalName, and
// proxyAddresses"; eq on null values is in the advanced column).
func checkFilter(n filterNode, s filterSchema) filterProblem {
	var pr filterProblem
	advanced := func(what string) {
		if pr.advanced == "" {
			pr.advanced = what
		}
	}
	var walk func(n filterNode, param string, multi *filterProp) bool
	// prop resolves a property reference: the lambda parameter inside any(), else a
	// single-valued property of the schema.
	prop := func(name, param string, multi *filterProp) (filterProp, bool) {
		if param != "" && strings.EqualFold(name, param) {
			return *multi, true
		}
		p, ok := s.props[strings.ToLower(name)]
		if !ok || p.multi {
			// "The any operator is required for filter expressions on multi-valued
			// properties" (graph/api/resources/serviceprincipal).
			return filterProp{}, false
		}
		return p, true
	}
	fail := func(what string) bool {
		pr.unsupported = what
		return false
	}
	walk = func(n filterNode, param string, multi *filterProp) bool {
		switch n := n.(type) {
		case boolNode:
			return walk(n.left, param, multi) && walk(n.right, param, multi)
		case notNode:
			if !walk(n.inner, param, multi) {
				return false
			}
			// "For queries that use the any lambda operator, use the not operator": a
			// not is advanced wherever it stands, and needs a property that supports it.
			for _, name := range propsOf(n.inner) {
				p, ok := s.props[strings.ToLower(name)]
				if param != "" && strings.EqualFold(name, param) {
					p, ok = *multi, true
				}
				if ok && !containsFold(p.ops, "not") {
					return fail(p.name)
				}
			}
			advanced("Operator 'not'")
			return true
		case cmpNode:
			p, ok := prop(n.prop, param, multi)
			if !ok {
				return fail(n.prop)
			}
			if n.value.kind == "null" {
				if n.op != "eq" && n.op != "ne" || !containsFold(p.ops, "null") {
					return fail(p.name)
				}
				advanced("Filtering on null values of '" + p.name + "'")
			}
			if !containsFold(p.ops, n.op) {
				return fail(p.name)
			}
			if n.op == "ne" {
				advanced("Operator 'ne'")
			}
			return true
		case inNode:
			p, ok := prop(n.prop, param, multi)
			if !ok || !containsFold(p.ops, "in") {
				return fail(n.prop)
			}
			return true
		case funcNode:
			p, ok := prop(n.prop, param, multi)
			if !ok || !containsFold(p.ops, n.name) || n.value.kind != "string" {
				return fail(n.prop)
			}
			return true
		case lambdaNode:
			p, ok := s.props[strings.ToLower(n.prop)]
			// all() is not among any directory property's documented operators.
			if !ok || !p.multi || n.op != "any" || param != "" {
				return fail(n.prop)
			}
			return walk(n.body, n.param, &p)
		}
		return fail(n.String())
	}
	walk(n, "", nil)
	return pr
}

// propsOf lists the properties a node compares (a lambda counts as its collection).
func propsOf(n filterNode) []string {
	switch n := n.(type) {
	case boolNode:
		return append(propsOf(n.left), propsOf(n.right)...)
	case notNode:
		return propsOf(n.inner)
	case cmpNode:
		return []string{n.prop}
	case inNode:
		return []string{n.prop}
	case funcNode:
		return []string{n.prop}
	case lambdaNode:
		return []string{n.prop}
	}
	return nil
}

// match evaluates a checked $filter on an object as Graph writes it. String
// comparisons ignore case, as Entra ID's directory does.
func match(n filterNode, obj map[string]any) bool {
	return eval(n, obj, "", nil)
}

func eval(n filterNode, obj map[string]any, param string, item any) bool {
	value := func(name string) any {
		if param != "" && strings.EqualFold(name, param) {
			return item
		}
		for k, v := range obj {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return nil
	}
	switch n := n.(type) {
	case boolNode:
		if n.op == "and" {
			return eval(n.left, obj, param, item) && eval(n.right, obj, param, item)
		}
		return eval(n.left, obj, param, item) || eval(n.right, obj, param, item)
	case notNode:
		return !eval(n.inner, obj, param, item)
	case cmpNode:
		c, ok := compare(value(n.prop), n.value)
		if !ok {
			return n.op == "ne"
		}
		switch n.op {
		case "eq":
			return c == 0
		case "ne":
			return c != 0
		case "gt":
			return c > 0
		case "ge":
			return c >= 0
		case "lt":
			return c < 0
		case "le":
			return c <= 0
		}
	case inNode:
		v := value(n.prop)
		for _, l := range n.values {
			if c, ok := compare(v, l); ok && c == 0 {
				return true
			}
		}
	case funcNode:
		s, ok := value(n.prop).(string)
		if !ok {
			return false
		}
		s, v := strings.ToLower(s), strings.ToLower(n.value.text)
		switch strings.ToLower(n.name) {
		case "startswith":
			return strings.HasPrefix(s, v)
		case "endswith":
			return strings.HasSuffix(s, v)
		}
	case lambdaNode:
		for _, it := range asList(value(n.prop)) {
			if eval(n.body, obj, n.param, it) {
				return true
			}
		}
	}
	return false
}

// compare orders a property's value against a literal: -1, 0 or 1, and whether the
// two are comparable at all.
func compare(v any, l literal) (int, bool) {
	switch l.kind {
	case "null":
		if v == nil {
			return 0, true
		}
		return 1, true
	case "string":
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(strings.ToLower(s), strings.ToLower(l.text)), true
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return 0, false
		}
		if b == (l.text == "true") {
			return 0, true
		}
		return 1, true
	case "number":
		f, err := strconv.ParseFloat(l.text, 64)
		var x float64
		switch n := v.(type) {
		case int:
			x = float64(n)
		case float64:
			x = n
		default:
			return 0, false
		}
		if err != nil {
			return 0, false
		}
		switch {
		case x < f:
			return -1, true
		case x > f:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// asList is a multi-valued property's items.
func asList(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out
	}
	return nil
}
