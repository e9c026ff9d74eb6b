package flows

import (
	"regexp"
	"sync"

	"github.com/d365consent/d365consent/internal/flows/graph"
)

// jsonUnmarshal decodes Graph JSON with case-sensitive member names (graph.Unmarshal).
func jsonUnmarshal(data []byte, v any) error { return graph.Unmarshal(data, v) }

// lazyRE compiles expr on first use, not at init (start-up of every command).
func lazyRE(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
