package credstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"

	"github.com/d365consent/d365consent/internal/credstore"
)

// fakeMSAL is MSAL's cache as the accessor sees it: bytes in, bytes out.
type fakeMSAL struct{ data []byte }

func (f *fakeMSAL) Marshal() ([]byte, error) { return f.data, nil }
func (f *fakeMSAL) Unmarshal(b []byte) error { f.data = append([]byte(nil), b...); return nil }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var profile = credstore.Profile{Cloud: "global", AuthorityHost: "https://login.microsoftonline.com", ClientID: "14d82eec-204b-4c2f-b7e8-296a70dab67e"}

func open(t *testing.T, secrets credstore.Secrets, dir string, c *clock) *credstore.Store {
	t.Helper()
	st, err := credstore.Open(context.Background(), secrets, dir, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

const secretToken = `{"RefreshToken":{"k":{"secret":"0.refresh-token-that-must-not-be-readable"}}}`

// TestCacheRoundTripIsCiphertext: what MSAL exports comes back in the next process
// (a new Store on the same credential store and directory); the file holds neither
// the token nor the username in clear, and the credential store holds one key.
func TestCacheRoundTripIsCiphertext(t *testing.T) {
	secrets, dir, c := &credstore.Memory{}, t.TempDir(), &clock{time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	ca := open(t, secrets, dir, c).Cache(profile)
	if err := ca.Replace(context.Background(), &fakeMSAL{}, cache.ReplaceHints{}); err != nil {
		t.Fatal(err)
	}
	if err := ca.Export(context.Background(), &fakeMSAL{data: []byte(secretToken)}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	ca.Remember("home.tid", "admin@contoso.com", "TID-1")
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "signin-*.cache"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	raw, _ := os.ReadFile(files[0])
	for _, clear := range []string{"refresh-token", "admin@contoso.com", "home.tid", "RefreshToken"} {
		if bytes.Contains(raw, []byte(clear)) {
			t.Fatalf("the cache file holds %q in clear", clear)
		}
	}
	if items := secrets.Items(); len(items) != 1 || len(items[0]) != 44 { // 32 bytes, base64
		t.Fatalf("credential store items %q", items)
	}

	c.t = c.t.Add(time.Hour)
	again := open(t, secrets, dir, c).Cache(profile)
	m := &fakeMSAL{}
	if err := again.Replace(context.Background(), m, cache.ReplaceHints{}); err != nil || string(m.data) != secretToken {
		t.Fatalf("replaced with %q, %v", m.data, err)
	}
	acc, ok := again.Account()
	if !ok || acc.Username != "admin@contoso.com" || acc.LastTenant() != "tid-1" || !acc.Since.Equal(c.t.Add(-time.Hour)) {
		t.Fatalf("account %+v %v", acc, ok)
	}
	// Another profile (another sign-in client) remembers nothing.
	other := profile
	other.ClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	if _, ok := open(t, secrets, dir, c).Cache(other).Account(); ok {
		t.Fatal("another sign-in client sees the account")
	}
}

// TestCacheFileTamperedOrKeyGone: a file altered on disk, or read after the key was
// removed, opens as nothing remembered.
func TestCacheFileTamperedOrKeyGone(t *testing.T) {
	secrets, dir, c := &credstore.Memory{}, t.TempDir(), &clock{time.Now()}
	ca := open(t, secrets, dir, c).Cache(profile)
	_ = ca.Export(context.Background(), &fakeMSAL{data: []byte(secretToken)}, cache.ExportHints{})
	ca.Remember("home.tid", "admin@contoso.com", "t")
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "signin-*.cache"))
	raw, _ := os.ReadFile(files[0])
	raw[len(raw)-1] ^= 1
	_ = os.WriteFile(files[0], raw, 0o600)
	if _, ok := open(t, secrets, dir, c).Cache(profile).Account(); ok {
		t.Fatal("a tampered file was read")
	}
	list, err := open(t, secrets, dir, c).List()
	if err != nil || len(list) != 0 {
		t.Fatalf("list %v %v", list, err)
	}
	raw[len(raw)-1] ^= 1
	_ = os.WriteFile(files[0], raw, 0o600)
	_ = secrets.Delete(credstore.Service, credstore.KeyItem)
	if _, ok := open(t, secrets, dir, c).Cache(profile).Account(); ok {
		t.Fatal("the file was read without its key")
	}
}

// TestCacheWritesFirstTokenAtOnce: the first export is written at once, later
// ones (a fleet's token per tenant) by Close.
func TestCacheWritesFirstTokenAtOnce(t *testing.T) {
	secrets, dir, c := &credstore.Memory{}, t.TempDir(), &clock{time.Now()}
	st := open(t, secrets, dir, c)
	ca := st.Cache(profile)
	ca.Remember("home.tid", "admin@contoso.com", "t")
	_ = ca.Export(context.Background(), &fakeMSAL{data: []byte(`{"v":1}`)}, cache.ExportHints{})
	_ = ca.Export(context.Background(), &fakeMSAL{data: []byte(`{"v":2}`)}, cache.ExportHints{})
	read := func() string {
		m := &fakeMSAL{}
		_ = open(t, secrets, dir, c).Cache(profile).Replace(context.Background(), m, cache.ReplaceHints{})
		return string(m.data)
	}
	if got := read(); got != `{"v":1}` {
		t.Fatalf("after two quick exports the file holds %s, want the first", got)
	}
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != `{"v":2}` {
		t.Fatalf("after Close the file holds %s", got)
	}
}

// TestOpenUnavailable: a credential store that fails is an UnavailableError.
func TestOpenUnavailable(t *testing.T) {
	_, err := credstore.Open(context.Background(), &credstore.Memory{Err: errors.New("no bus")}, t.TempDir(), nil)
	var ue *credstore.UnavailableError
	if !errors.As(err, &ue) || err.Error() != "no credential store is reachable (no bus)" {
		t.Fatalf("err %v", err)
	}
}
