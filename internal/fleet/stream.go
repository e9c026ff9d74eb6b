package fleet

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// A Stream writes each row the moment its tenant finishes (Config.OnRow), so a
// thousand-tenant check shows its first rows within a second and holds none of
// them: `--format csv` and `--format ndjson`. Rows come in the order tenants
// finish; each row names its tenant.
type Stream interface {
	// Row writes one row at once.
	Row(r Row) error
}

// NewStream returns the stream of format ("csv" or "ndjson"), or nil for a format
// printed whole at the end. The CSV header is written at once.
func NewStream(w io.Writer, format string) (Stream, error) {
	switch format {
	case "csv":
		s := &csvStream{w: csv.NewWriter(w)}
		if err := s.write(csvHeader); err != nil {
			return nil, err
		}
		return s, nil
	case "ndjson":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return &ndjsonStream{enc: enc}, nil
	}
	return nil, nil
}

// csvHeader names WriteCSV's and the CSV stream's columns.
var csvHeader = []string{"tenant", "tenant_id", "tenant_name", "status", "missing", "error", "aadsts"}

// csvRecord is one row's CSV line.
func csvRecord(r Row) []string {
	code := ""
	if r.AADSTS != 0 {
		code = strconv.Itoa(r.AADSTS)
	}
	return []string{csvCell(r.Tenant), csvCell(r.TenantID), csvCell(r.TenantName), string(r.Status),
		csvCell(strings.Join(r.Missing, "; ")), csvCell(errorCell(r)), code}
}

type csvStream struct{ w *csv.Writer }

func (s *csvStream) write(rec []string) error {
	if err := s.w.Write(rec); err != nil {
		return err
	}
	s.w.Flush()
	return s.w.Error()
}

func (s *csvStream) Row(r Row) error { return s.write(csvRecord(r)) }

// NDJSONSchema is the schema id each --format ndjson line carries.
const NDJSONSchema = "d365consent.verify-row/v1"

// ndjsonRow is one --format ndjson line: a Row's fields (as in verify-many/v1's
// rows) with the schema id.
type ndjsonRow struct {
	Schema string `json:"schema"`
	Row
}

type ndjsonStream struct{ enc *json.Encoder }

func (s *ndjsonStream) Row(r Row) error { return s.enc.Encode(ndjsonRow{Schema: NDJSONSchema, Row: r}) }
