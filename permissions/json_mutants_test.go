package permissions

import (
	"encoding/json"
	"testing"
)

// A lone byte 0x80 (utf8.RuneSelf itself) is invalid UTF-8: written as \ufffd, as
// encoding/json does, never copied raw (a mutant gremlins found alive: c <= RuneSelf).
func TestAppendStringInvalidByteAtRuneSelf(t *testing.T) {
	in := "a\x80b\xffc"
	want, _ := json.Marshal(in)
	if got := string(appendString(nil, in)); got != `"a\ufffdb\ufffdc"` || got != string(want) {
		t.Fatalf("appendString(%q) = %s, want %s", in, got, want)
	}
}
