package permissions

import (
	"errors"
	"testing"
)

// FuzzParse: any document either loads as a catalog that passes Validate, or fails
// with a *ValidationError; it never panics.
func FuzzParse(f *testing.F) {
	f.Add(fixtureJSON(f))
	f.Add([]byte(`{"schema":"d365consent.catalog/v1","apps":[]}`))
	f.Add([]byte(`{"schema":"d365consent.catalog/v1","apps":[{"key":"x","displayName":"d","appType":"t","consent":"c","clientId":"","permissions":[{"api":"a","resourceAppId":"00000003-0000-0000-c000-000000000000","value":"v","friendlyName":"f","type":"Delegated","purpose":"p","newlyRequired":false}]}]}`))
	f.Add([]byte(`{"apps":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v is not a ValidationError", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed catalog does not validate: %v", err)
		}
		for _, a := range c.Apps {
			if _, ok := c.App(a.Key); !ok {
				t.Fatalf("app %q not found by its key", a.Key)
			}
		}
	})
}
