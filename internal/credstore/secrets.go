// Package credstore remembers a sign-in between runs: MSAL's token cache, encrypted
// with AES-256-GCM in a file of the user's cache directory, whose key lives in the
// operating system's credential store (macOS Keychain, Windows Credential Manager,
// the Secret Service on Linux). The key is one small item, well within every store's
// item size limit (Windows: 2,560 bytes; macOS: about 3,000), however many tenants
// the cache holds; the file alone is ciphertext. Where no credential store answers,
// nothing is remembered: there is no plain-text fallback.
package credstore

import (
	"errors"
	"sync"

	"github.com/zalando/go-keyring"
)

// Secrets is a credential store of small secrets, by service and user.
type Secrets interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// ErrNotFound means the credential store holds no such item.
var ErrNotFound = errors.New("no such item in the credential store")

// Keyring is the operating system's credential store, reached without cgo
// (github.com/zalando/go-keyring: the Secret Service over D-Bus, the Windows
// Credential Manager API, macOS's security tool).
type Keyring struct{}

// Get reads an item.
func (Keyring) Get(service, user string) (string, error) {
	v, err := keyring.Get(service, user)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNotFound
	}
	return v, err
}

// Set writes an item.
func (Keyring) Set(service, user, secret string) error { return keyring.Set(service, user, secret) }

// Delete removes an item; a missing one is ErrNotFound.
func (Keyring) Delete(service, user string) error {
	err := keyring.Delete(service, user)
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// Memory is a credential store in memory, for tests.
type Memory struct {
	mu    sync.Mutex
	items map[[2]string]string
	// Err, when set, is what every call returns (a store that cannot be reached).
	Err error
}

// Get reads an item.
func (m *Memory) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return "", m.Err
	}
	v, ok := m.items[[2]string{service, user}]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Set writes an item.
func (m *Memory) Set(service, user, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	if m.items == nil {
		m.items = map[[2]string]string{}
	}
	m.items[[2]string{service, user}] = secret
	return nil
}

// Delete removes an item.
func (m *Memory) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	if _, ok := m.items[[2]string{service, user}]; !ok {
		return ErrNotFound
	}
	delete(m.items, [2]string{service, user})
	return nil
}

// Items returns every stored secret (tests look for tokens in them).
func (m *Memory) Items() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, v := range m.items {
		out = append(out, v)
	}
	return out
}
