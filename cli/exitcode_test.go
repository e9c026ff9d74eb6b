package cli

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
)

// exitConstants reads the exit* constants declared in exitcode.go, by name.
func exitConstants(t *testing.T) map[string]int {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "exitcode.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "exit") {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s is not an integer literal", name.Name)
				}
				n, err := strconv.Atoi(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out[name.Name] = n
			}
		}
	}
	return out
}

// TestExitCodeTableHasEveryCode: every exit constant has exactly one row in the
// table, with a name and a meaning, and the table has no code without a constant.
// A code added without its row (so missing from the man page and the worst-row
// order) fails here.
func TestExitCodeTableHasEveryCode(t *testing.T) {
	consts := exitConstants(t)
	if len(consts) != 10 {
		t.Fatalf("read %d exit constants from exitcode.go, want 10: %v", len(consts), consts)
	}
	rows := map[int]int{}
	names := map[string]bool{}
	for _, e := range exitCodeTable() {
		rows[e.Code]++
		if e.Name == "" || e.Meaning == "" || names[e.Name] {
			t.Errorf("code %d: name %q (empty or repeated), meaning %q", e.Code, e.Name, e.Meaning)
		}
		names[e.Name] = true
	}
	for name, code := range consts {
		if rows[code] != 1 {
			t.Errorf("%s = %d has %d rows in exitCodeTable, want 1", name, code, rows[code])
		}
	}
	if len(rows) != len(consts) {
		t.Errorf("exitCodeTable has %d codes, exitcode.go declares %d", len(rows), len(consts))
	}
	var listed []int
	for _, e := range ExitCodes() {
		listed = append(listed, e.Code)
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6, 129, 130, 143}; !slices.Equal(listed, want) {
		t.Errorf("ExitCodes lists %v, want %v", listed, want)
	}
}

// TestExitCodeMap: errors to exit codes; a code decided by the command (withCode)
// holds unless a signal stopped the run.
func TestExitCodeMap(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{flows.Usagef("bad"), 2},
		{fmt.Errorf("wrapped: %w", flows.ErrNotTerminal), 2},
		{fmt.Errorf("verifying grants: %w", flows.ErrIncomplete), 3},
		{fmt.Errorf("signing in: %w", flows.ErrRefused), 4},
		// Entra ID's own transient failure (AADSTS90033) is "try again", not a refusal.
		{&explain.AuthError{Op: "signing in", Explanation: &explain.Explanation{Code: 90033}, Err: errors.New("AADSTS90033")}, 1},
		{&explain.AuthError{Op: "signing in", Explanation: &explain.Explanation{Code: 90094}, Err: errors.New("AADSTS90094")}, 4},
		{fmt.Errorf("verifying grants: %w", &graph.Error{Status: 403, Code: "Authorization_RequestDenied"}), 4},
		{fmt.Errorf("verifying grants: %w", &graph.Error{Status: 404, Code: "Request_ResourceNotFound"}), 1},
		{&graph.Error{Status: 500}, 1},
		{flows.ErrCancelled, 130},
		{context.Canceled, 130},
		{errTerminated, 143},
		{&causeErr{fmt.Errorf("signing in: %w", flows.ErrCancelled), errTerminated}, 143},
		{silent(errTerminated), 143},
		{silent(fmt.Errorf("x: %w", flows.ErrIncomplete)), 3},
		{withCode(5, "drift"), 5},
		{withCode(4, "worst row"), 4},
		{withCode(0, "all complete"), 0},
		{&causeErr{withCode(3, "x"), flows.ErrCancelled}, 130},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestWorstExitOrder: the documented order 0 < 3 < 5 < 6 < 4 < 1 (README "Exit
// codes"), then usage, then the signals. A tenant whose sign-in client needs consent
// (6) has a known fix, so it ranks below a refusal (4) of unknown cause.
func TestWorstExitOrder(t *testing.T) {
	var order []int
	for _, e := range exitCodeTable() {
		order = append(order, e.Code)
	}
	if want := []int{0, 3, 5, 6, 4, 1, 2, 130, 129, 143}; !slices.Equal(order, want) {
		t.Fatalf("best to worst %v, want %v", order, want)
	}
	for _, c := range []struct {
		in   []int
		want int
	}{
		{nil, 0}, {[]int{0, 0}, 0}, {[]int{0, 3}, 3}, {[]int{3, 0}, 3}, {[]int{3, 5}, 5}, {[]int{5, 3}, 5},
		{[]int{5, 4}, 4}, {[]int{4, 5}, 4}, {[]int{4, 1, 3}, 1}, {[]int{1, 130}, 130}, {[]int{143, 130}, 143},
		{[]int{0, 77}, 77}, // a code missing from the table ranks worst: a bug shows
	} {
		if got := worstExit(c.in...); got != c.want {
			t.Errorf("worstExit(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestFleetStatusExit: each row status's code (README "verify --tenants").
func TestFleetStatusExit(t *testing.T) {
	for s, want := range map[fleet.Status]int{
		fleet.StatusComplete: 0, fleet.StatusIncomplete: 3, fleet.StatusNotConsented: 3,
		fleet.StatusNoAccess: 4, fleet.StatusRefused: 4, fleet.StatusForbidden: 4, fleet.StatusError: 1,
		fleet.Status("unknown"): 1,
	} {
		if got := fleetStatusExit(s); got != want {
			t.Errorf("fleetStatusExit(%s) = %d, want %d", s, got, want)
		}
	}
}

// TestFleetExit: the worst row wins, drift counts as 5 in that order, and a
// cancelled check is 130 whatever its rows.
func TestFleetExit(t *testing.T) {
	rows := func(ss ...fleet.Status) *fleet.Result {
		r := &fleet.Result{Total: len(ss)}
		for _, s := range ss {
			r.Rows = append(r.Rows, fleet.Row{Status: s})
		}
		return r
	}
	drifted := &fleet.Drift{Changes: []fleet.DriftChange{{TenantID: "t", Kind: fleet.DriftStatus}}}
	unchanged := &fleet.Drift{Changes: []fleet.DriftChange{}}
	cancelled := rows(fleet.StatusComplete)
	cancelled.Total, cancelled.Cancelled = 3, true
	for _, c := range []struct {
		name  string
		res   *fleet.Result
		drift *fleet.Drift
		want  int
	}{
		{"all complete", rows(fleet.StatusComplete, fleet.StatusComplete), nil, 0},
		{"all complete, no drift", rows(fleet.StatusComplete), unchanged, 0},
		{"incomplete", rows(fleet.StatusComplete, fleet.StatusIncomplete), nil, 3},
		{"not consented", rows(fleet.StatusNotConsented, fleet.StatusComplete), nil, 3},
		{"drift over complete", rows(fleet.StatusComplete), drifted, 5},
		{"drift over incomplete", rows(fleet.StatusIncomplete), drifted, 5},
		{"refused over drift", rows(fleet.StatusNoAccess, fleet.StatusComplete), drifted, 4},
		{"forbidden over incomplete", rows(fleet.StatusIncomplete, fleet.StatusForbidden), nil, 4},
		{"error over refused", rows(fleet.StatusRefused, fleet.StatusError, fleet.StatusIncomplete), drifted, 1},
		{"cancelled", cancelled, nil, 130},
	} {
		if got := fleetExit(c.res, c.drift); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// TestOutcomeExit: a verification's outcome, as verify and the wizard end.
func TestOutcomeExit(t *testing.T) {
	forbidden := fmt.Errorf("verifying grants: %w", &graph.Error{Method: "GET", Path: "/servicePrincipals", Status: 403, Code: "Authorization_RequestDenied"})
	for _, c := range []struct {
		name string
		r    *flows.Result
		err  error
		want int
	}{
		{"complete", &flows.Result{Status: flows.StatusComplete}, nil, 0},
		{"incomplete", &flows.Result{Status: flows.StatusIncomplete}, nil, 3},
		{"not consented", &flows.Result{Status: flows.StatusNotConsented}, nil, 3},
		{"left before a result", nil, nil, 130},
		{"refused", nil, fmt.Errorf("signing in: %w", flows.ErrRefused), 4},
		{"Graph 403", nil, forbidden, 4},
		{"error wins over a result", &flows.Result{Status: flows.StatusComplete}, errors.New("boom"), 1},
		{"cancelled", nil, flows.ErrCancelled, 130},
	} {
		if got := outcomeExit(c.r, c.err); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// TestVerifyGraphForbiddenExitsRefused: the demo user holds no directory role, so
// Graph answers 403 to the grant lists: verify says why and exits 4, as documented
// (Graph refused the read), not 1.
func TestVerifyGraphForbiddenExitsRefused(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--scenario", "restricted-reader")
	if code != exitRefused {
		t.Fatalf("exit %d, want %d\nstdout %q\nstderr %q", code, exitRefused, out, errOut)
	}
	if !strings.Contains(errOut, "HTTP 403 Authorization_RequestDenied") || !strings.Contains(errOut, "It does not mean the permissions are missing.") {
		t.Fatalf("stderr does not explain the 403:\n%s", errOut)
	}
}

// TestManPageExitCodes: the EXIT CODES section lists every code of the table in
// numeric order with its name and meaning, then the order in which the worst wins.
func TestManPageExitCodes(t *testing.T) {
	page := ManSections(Docs().Root)
	_, codes, _ := strings.Cut(page, ".SH EXIT CODES\n")
	codes, _, _ = strings.Cut(codes, ".SH ENVIRONMENT")
	var want strings.Builder
	for _, e := range ExitCodes() {
		fmt.Fprintf(&want, ".TP\n\\fB%d\\fP (%s)\n%s\n", e.Code, roffEscape(e.Name), roffEscape(e.Meaning))
	}
	want.WriteString(".PP\nWhen more than one applies (the rows of verify \\-\\-tenants, drift on an incomplete result), the worst wins, from best to worst: 0, 3, 5, 6, 4, 1, 2, 130, 129, 143.\n")
	if codes != want.String() {
		t.Fatalf("EXIT CODES\n got %q\nwant %q", codes, want.String())
	}
}
