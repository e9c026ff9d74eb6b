package doctor

import (
	"testing"
)

// host:port of a base URL: its port, else 80 for http and 443 otherwise.
func TestHostPortOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://login.microsoftonline.com":   "login.microsoftonline.com:443",
		"http://localhost":                    "localhost:80",
		"https://127.0.0.1:8443":              "127.0.0.1:8443",
		"http://[::1]":                        "[::1]:80",
		"https://graph.microsoft.us/v1.0?x=1": "graph.microsoft.us:443",
		"::not a url":                         "::not a url",
	} {
		if got := hostPortOf(in); got != want {
			t.Errorf("hostPortOf(%q) = %q, want %q", in, got, want)
		}
	}
}
