package testkit

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FilesImporting lists the non-test Go files in dir (a package's directory) that
// import the package path, by file name. It fails the test when dir holds no
// non-test Go file, so a guard built on it cannot pass by checking nothing.
func FilesImporting(t testing.TB, dir, path string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == path {
				out = append(out, filepath.Base(name))
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no Go file in %s", dir)
	}
	return out
}
