package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/d365consent/d365consent/internal/credstore"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
)

// addRememberFlag adds --remember (the wizard, verify, consent-url).
func addRememberFlag(f *pflag.FlagSet, on *bool) {
	f.BoolVar(on, "remember", false, "keep the sign-in in the operating system's credential store, so later runs sign in silently (d365consent logout forgets it)")
}

// credStore opens the remembered sign-ins: the cache files under the user cache
// directory, their key in the credential store. An unreachable credential store is
// an *credstore.UnavailableError.
func (a *Factory) credStore(ctx context.Context) (*credstore.Store, error) {
	dir, err := a.cacheDir()
	if err != nil {
		return nil, &credstore.UnavailableError{Err: fmt.Errorf("no user cache directory: %w", err)}
	}
	return credstore.Open(ctx, a.secrets, filepath.Join(dir, "d365consent"), a.clock.Now)
}

// profileOf is the remembered sign-in's scope for cfg: its cloud, authority host
// and sign-in client.
func profileOf(cfg flows.Config) credstore.Profile {
	return credstore.Profile{Cloud: cfg.Cloud.Name, AuthorityHost: strings.TrimRight(cfg.Cloud.AuthorityHost, "/"), ClientID: cfg.SignInClientID}
}

// remember sets cfg.Remember from the credential store, or says once on stderr why
// nothing will be remembered and goes on without (never a plain-text fallback).
func (a *Factory) remember(ctx context.Context, cfg *flows.Config) {
	st, err := a.credStore(ctx)
	if err != nil {
		var ue *credstore.UnavailableError
		if !errors.As(err, &ue) {
			err = &credstore.UnavailableError{Err: err}
		}
		fmt.Fprintf(a.errOut(), "d365consent: not remembering the sign-in: %s; signing in for this run only.\n", safetext.Sanitize(err.Error()))
		return
	}
	cfg.Remember = st.Cache(profileOf(*cfg))
}

// closeRemembered writes what the remembered cache has not written yet, saying on
// stderr when that failed.
func (a *Factory) closeRemembered(cfg flows.Config) {
	if cfg.Remember == nil {
		return
	}
	if err := cfg.Remember.Close(); err != nil {
		fmt.Fprintf(a.errOut(), "d365consent: %s\n", safetext.Sanitize(err.Error()))
	}
}
