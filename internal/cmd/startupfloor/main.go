// Command startupfloor is the floor of d365consent's start-up with its pinned
// dependencies: it links every third-party package d365consent imports (and the
// standard library packages they need), runs their initialisation, as every Go
// program must for what it links, and exits at once. d365consent cannot start
// faster than this while it links them; scripts/startup-bench measures it beside
// the empty program and d365consent (BENCHMARKS.md, issue 13).
//
// It also imports internal/bigstack, which d365consent uses to take MSAL's
// package-level regexp compilation off the stack-growth path; without it the floor
// is higher.
package main

import (
	"os"

	_ "charm.land/bubbles/v2/cursor"
	_ "charm.land/bubbles/v2/help"
	_ "charm.land/bubbles/v2/key"
	_ "charm.land/bubbletea/v2"
	_ "charm.land/lipgloss/v2"
	_ "charm.land/lipgloss/v2/table"
	_ "github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	_ "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	_ "github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	_ "github.com/charmbracelet/colorprofile"
	_ "github.com/charmbracelet/x/ansi"
	_ "github.com/charmbracelet/x/term"
	_ "github.com/pkg/browser"
	_ "github.com/rivo/uniseg"
	_ "github.com/skip2/go-qrcode"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/pflag"
	_ "golang.org/x/crypto/pkcs12"

	_ "github.com/d365consent/d365consent/internal/bigstack"
)

func main() { os.Stdout.WriteString("{}\n") }
