package flows

import "github.com/d365consent/d365consent/internal/flows/graph"

// jsonUnmarshal decodes Graph JSON with case-sensitive member names (graph.Unmarshal).
func jsonUnmarshal(data []byte, v any) error { return graph.Unmarshal(data, v) }
