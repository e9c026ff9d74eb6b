package cli

import (
	"os"

	"github.com/charmbracelet/x/term"
)

func termSize(f *os.File) (int, int, error) { return term.GetSize(f.Fd()) }
