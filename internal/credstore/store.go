package credstore

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// Service and KeyItem name the credential store's one item: the cache files' key.
const (
	Service = "d365consent"
	KeyItem = "token-cache-key"
)

// fileMagic starts every cache file (and is authenticated with it).
const fileMagic = "d365consent-cache-v1\n"

// probeTimeout bounds the first look at the credential store: a locked Secret
// Service may wait for an unlock prompt nobody can answer on a headless machine.
const probeTimeout = 5 * time.Second

// UnavailableError says no credential store answered, and why.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string {
	return "no credential store is reachable (" + firstLine(e.Err.Error()) + ")"
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Store holds remembered sign-ins: one encrypted file per sign-in profile (cloud,
// authority host and sign-in client) in dir, and their key in the credential store.
type Store struct {
	secrets Secrets
	dir     string
	now     func() time.Time

	mu  sync.Mutex
	key []byte
}

// Open checks that the credential store answers (an item that is not there yet is
// an answer) and returns the store of remembered sign-ins kept in dir. It returns an
// *UnavailableError when the credential store cannot be used.
func Open(ctx context.Context, secrets Secrets, dir string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	type got struct {
		v   string
		err error
	}
	ch := make(chan got, 1)
	go func() {
		v, err := secrets.Get(Service, KeyItem)
		ch <- got{v, err}
	}()
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	s := &Store{secrets: secrets, dir: dir, now: now}
	select {
	case g := <-ch:
		switch {
		case errors.Is(g.err, ErrNotFound):
		case g.err != nil:
			return nil, &UnavailableError{Err: g.err}
		default:
			k, err := base64.StdEncoding.DecodeString(g.v)
			if err != nil || len(k) != 32 {
				return nil, &UnavailableError{Err: errors.New("the stored key is not a 256-bit key")}
			}
			s.key = k
		}
	case <-ctx.Done():
		return nil, &UnavailableError{Err: errors.New("the credential store did not answer (locked?)")}
	}
	return s, nil
}

// Dir is where the encrypted cache files are.
func (s *Store) Dir() string { return s.dir }

// keyFor returns the cache key, creating it in the credential store when create.
func (s *Store) keyFor(create bool) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil || !create {
		return s.key, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := s.secrets.Set(Service, KeyItem, base64.StdEncoding.EncodeToString(k)); err != nil {
		return nil, &UnavailableError{Err: err}
	}
	s.key = k
	return k, nil
}

// Profile names one remembered sign-in's scope: the same account signs in silently
// only with the same cloud, authority host and sign-in client.
type Profile struct {
	Cloud         string `json:"cloud"`
	AuthorityHost string `json:"authorityHost"`
	ClientID      string `json:"clientId"`
}

func (p Profile) fileName() string {
	h := sha256.Sum256([]byte(strings.ToLower(p.Cloud + "|" + strings.TrimRight(p.AuthorityHost, "/") + "|" + p.ClientID)))
	return "signin-" + hex.EncodeToString(h[:8]) + ".cache"
}

// Account is a remembered account, without any token.
type Account struct {
	HomeAccountID string `json:"homeAccountId"`
	Username      string `json:"username"`
	// Since is when the account was first remembered, LastUsed its latest token.
	Since    time.Time `json:"since"`
	LastUsed time.Time `json:"lastUsed"`
	// Tenants are the tenants the account got tokens for, with when it last did.
	Tenants map[string]time.Time `json:"tenants,omitempty"`
}

// TenantIDs are the account's tenants, sorted.
func (a Account) TenantIDs() []string {
	out := make([]string, 0, len(a.Tenants))
	for t := range a.Tenants {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// LastTenant is the tenant the account got a token for most recently ("" for none).
func (a Account) LastTenant() string {
	last, when := "", time.Time{}
	for t, at := range a.Tenants {
		if last == "" || at.After(when) || at.Equal(when) && t < last {
			last, when = t, at
		}
	}
	return last
}

// contents is a cache file's plain text: its profile and accounts as one line of
// JSON, then MSAL's serialized token cache as MSAL wrote it (opaque; never copied
// into another JSON document, which for a thousand tenants' tokens would double
// the memory a write takes).
type contents struct {
	Profile  Profile   `json:"profile"`
	Accounts []Account `json:"accounts"`
	MSAL     []byte    `json:"-"`
}

// Remembered is one profile's remembered accounts (Store.List).
type Remembered struct {
	Profile  Profile
	Accounts []Account
	File     string
}

// List reads every remembered profile. A file the current key cannot open (the key
// was removed from the credential store) is skipped.
func (s *Store) List() ([]Remembered, error) {
	key, _ := s.keyFor(false)
	if key == nil {
		return nil, nil
	}
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Remembered
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "signin-") || !strings.HasSuffix(e.Name(), ".cache") {
			continue
		}
		c, err := s.read(e.Name(), key)
		if err != nil || len(c.Accounts) == 0 {
			continue
		}
		out = append(out, Remembered{Profile: c.Profile, Accounts: c.Accounts, File: filepath.Join(s.dir, e.Name())})
	}
	return out, nil
}

// RemoveAll deletes every cache file and the key.
func (s *Store) RemoveAll() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "signin-") {
			if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	s.mu.Lock()
	s.key = nil
	s.mu.Unlock()
	if err := s.secrets.Delete(Service, KeyItem); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

func (s *Store) read(name string, key []byte) (*contents, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(string(data), fileMagic) || len(data) < len(fileMagic)+gcm.NonceSize() {
		return nil, errors.New("not a d365consent cache file")
	}
	body := data[len(fileMagic):]
	plain, err := gcm.Open(nil, body[:gcm.NonceSize()], body[gcm.NonceSize():], []byte(fileMagic+name))
	if err != nil {
		return nil, errors.New("the cache file does not open with the stored key")
	}
	head, msal, _ := bytes.Cut(plain, []byte("\n"))
	var c contents
	if err := json.Unmarshal(head, &c); err != nil {
		return nil, err
	}
	c.MSAL = msal
	return &c, nil
}

func (s *Store) write(name string, c *contents) error {
	key, err := s.keyFor(true)
	if err != nil {
		return err
	}
	head, err := json.Marshal(c)
	if err != nil {
		return err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return err
	}
	// One buffer: magic, nonce, then the plain text sealed in place.
	pre := len(fileMagic) + gcm.NonceSize()
	out := make([]byte, pre, pre+len(head)+1+len(c.MSAL)+gcm.Overhead())
	copy(out, fileMagic)
	nonce := out[len(fileMagic):pre]
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	out = append(append(append(out, head...), '\n'), c.MSAL...)
	out = gcm.Seal(out[:pre], nonce, out[pre:], []byte(fileMagic+name))
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".signin-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(s.dir, name))
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// Cache is one profile's remembered sign-in as MSAL's external cache
// (public.WithCache): MSAL reads it before a token lookup and hands it back after
// each new token. It is read from its file once. The first new token is written at
// once (a sign-in is remembered even if the process is then killed); later ones,
// a fleet check's token per tenant, are written once by Close: each write
// serializes and encrypts the whole cache, a thousand tenants' tokens.
type Cache struct {
	store *Store
	name  string

	mu     sync.Mutex
	loaded bool
	// handed: MSAL's cache got the file's tokens (Replace).
	handed    bool
	c         contents
	dirty     bool
	marshaler cache.Marshaler
	written   bool
	err       error
}

var _ cache.ExportReplace = (*Cache)(nil)

// Cache returns p's remembered sign-in (empty when nothing is remembered yet).
func (s *Store) Cache(p Profile) *Cache {
	return &Cache{store: s, name: p.fileName(), c: contents{Profile: p}}
}

// load reads the file once; c.mu held.
func (c *Cache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	key, _ := c.store.keyFor(false)
	if key == nil {
		return
	}
	got, err := c.store.read(c.name, key)
	if err != nil || got.Profile != c.c.Profile {
		return // nothing remembered, or a file this key cannot open: start afresh
	}
	c.c = *got
}

// Replace loads the remembered cache into MSAL's (once per process: after that
// MSAL's in-memory cache is the newest).
func (c *Cache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handed {
		return nil
	}
	c.handed = true
	c.load()
	if len(c.c.MSAL) > 0 {
		if err := u.Unmarshal(c.c.MSAL); err != nil {
			c.c.MSAL = nil // unreadable: MSAL starts empty, the next export replaces it
		}
	}
	return nil
}

// Export takes MSAL's cache after a new token: the first time written at once,
// after that by Close.
func (c *Cache) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	c.marshaler, c.dirty = m, true
	if !c.written {
		return c.flush()
	}
	return nil
}

// flush writes the file when something changed; c.mu held. A failed write is
// kept for Close to report: the sign-in itself goes on.
func (c *Cache) flush() error {
	if !c.dirty {
		return nil
	}
	if c.marshaler != nil {
		b, err := c.marshaler.Marshal()
		if err != nil {
			c.err = err
			return nil
		}
		c.c.MSAL = b
	}
	if err := c.store.write(c.name, &c.c); err != nil {
		c.err = err
		return nil
	}
	c.dirty, c.written = false, true
	if c.marshaler != nil {
		c.c.MSAL = nil // MSAL holds the tokens; the next write serializes them anew
	}
	return nil
}

// Close writes what is not written yet and reports a write that failed.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.flush()
	if c.err != nil {
		return fmt.Errorf("remembering the sign-in: %w", c.err)
	}
	return nil
}

// Account is the account to sign in silently: the most recently used one
// (ok false when none is remembered).
func (c *Cache) Account() (Account, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	var best *Account
	for i := range c.c.Accounts {
		if best == nil || c.c.Accounts[i].LastUsed.After(best.LastUsed) {
			best = &c.c.Accounts[i]
		}
	}
	if best == nil {
		return Account{}, false
	}
	return *best, true
}

// Remember records that account homeID (username) got a token for tenant.
func (c *Cache) Remember(homeID, username, tenant string) {
	if homeID == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	now := c.store.now().UTC()
	var a *Account
	for i := range c.c.Accounts {
		if c.c.Accounts[i].HomeAccountID == homeID {
			a = &c.c.Accounts[i]
		}
	}
	if a == nil {
		c.c.Accounts = append(c.c.Accounts, Account{HomeAccountID: homeID, Username: username, Since: now})
		a = &c.c.Accounts[len(c.c.Accounts)-1]
	}
	a.LastUsed = now
	if username != "" {
		a.Username = username
	}
	if tenant != "" {
		if a.Tenants == nil {
			a.Tenants = map[string]time.Time{}
		}
		a.Tenants[strings.ToLower(tenant)] = now
	}
	c.dirty = true
}

// Forget drops the record of account homeID (MSAL's RemoveAccount drops its
// tokens); with no account left, Close deletes the file.
func (c *Cache) Forget(homeID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	kept := c.c.Accounts[:0]
	for _, a := range c.c.Accounts {
		if a.HomeAccountID != homeID {
			kept = append(kept, a)
		}
	}
	c.c.Accounts = kept
	c.dirty = true
}

// Remove deletes the profile's file.
func (c *Cache) Remove() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirty, c.marshaler = false, nil
	c.c = contents{Profile: c.c.Profile}
	err := os.Remove(filepath.Join(c.store.dir, c.name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
