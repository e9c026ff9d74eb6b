// Command d365consent takes a Microsoft Entra ID tenant admin through granting admin
// consent to the app behind Cloud Backup for Dynamics 365, then proves from Microsoft
// Graph that every required permission is in place.
package main

import (
	"os"

	"github.com/d365consent/d365consent/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}
