package safetext

import (
	"fmt"
	"testing"
)

// Every C1 control (U+0080–U+009F) is dropped, not only those that open a sequence:
// NEL (U+0085) is a line break to some terminals, RI (U+008D) moves the cursor up a
// line, and IND, HTS, SS2/SS3 act on the screen too. The sequence-introducing ones
// (CSI, DCS, SOS, OSC, PM, APC) also swallow what they introduce.
func TestSanitizeDropsEveryC1Control(t *testing.T) {
	introducer := map[rune]bool{0x90: true, 0x98: true, 0x9b: true, 0x9d: true, 0x9e: true, 0x9f: true}
	for r := rune(0x80); r <= 0x9f; r++ {
		in := fmt.Sprintf("name%cvalue", r)
		want := "namevalue"
		if introducer[r] {
			// CSI ends at its final byte ('v'); the string controls run to the end.
			want = map[bool]string{true: "namealue", false: "name"}[r == 0x9b]
		}
		for name, f := range map[string]func(string) string{"Sanitize": Sanitize, "SanitizeMultiline": SanitizeMultiline} {
			if got := f(in); got != want {
				t.Errorf("%s(%q) = %q, want %q (U+%04X)", name, in, got, want, r)
			}
		}
	}
	// Named cases from real attacks: NEL splitting a line, RI overwriting the line above.
	for in, want := range map[string]string{
		"Contoso\u0085AADSTS0: fake":    "ContosoAADSTS0: fake",
		"App\u008d\u008d\u008dApproved": "AppApproved",
		"\u0084\u0088\u008e\u008fok":    "ok",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// A C1 string control (OSC, DCS, PM, APC, SOS) at the very start is skipped with its
// payload up to BEL or ST.
func TestSanitizeC1StringAtStart(t *testing.T) {
	for in, want := range map[string]string{
		"\u009d0;evil title\u0007after": "after",
		"\u0090payload\u009cafter":      "after",
		"x\u009fpm\u0007y":              "xy",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}
