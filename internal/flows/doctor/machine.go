package doctor

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"

	"golang.org/x/net/http/httpproxy"

	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/termcaps"
)

// env reads a variable from the command's environment (later entries win; on
// Windows names are case-insensitive).
func env(environ []string, goos, key string) string {
	// The first mention wins, as in Go's own environment (syscall.copyenv drops
	// later duplicates), so the doctor reads what the program will.
	for i := range environ {
		k, v, ok := strings.Cut(environ[i], "=")
		if ok && (k == key || goos == "windows" && strings.EqualFold(k, key)) {
			return v
		}
	}
	return ""
}

// envAny is the first non-empty of keys, and which one it was.
func envAny(environ []string, goos string, keys ...string) (string, string) {
	for _, k := range keys {
		if v := env(environ, goos, k); v != "" {
			return v, k
		}
	}
	return "", ""
}

// proxyConfig is what net/http's ProxyFromEnvironment reads, from environ instead
// of os.Getenv: exactly those variables, upper case first, as
// httpproxy.FromEnvironment reads them; and which variable each value came from.
func proxyConfig(environ []string, goos string) (*httpproxy.Config, map[string]string) {
	https, hk := envAny(environ, goos, "HTTPS_PROXY", "https_proxy")
	http, pk := envAny(environ, goos, "HTTP_PROXY", "http_proxy")
	no, nk := envAny(environ, goos, "NO_PROXY", "no_proxy")
	return &httpproxy.Config{
			HTTPProxy:  http,
			HTTPSProxy: https,
			NoProxy:    no,
			CGI:        env(environ, goos, "REQUEST_METHOD") != "",
		}, map[string]string{
			"https": hk, "http": pk, "no": nk,
		}
}

// proxyFromEnviron picks the proxy for a request URL by net/http's rules
// (golang.org/x/net/http/httpproxy, which net/http vendors) for environ.
func proxyFromEnviron(environ []string, goos string) func(*url.URL) (*url.URL, error) {
	cfg, _ := proxyConfig(environ, goos)
	return cfg.ProxyFunc()
}

// httpsProxyInUse is the proxy Go uses for an https:// address outside NO_PROXY
// when HTTPS_PROXY is value: nil when Go ignores the value (it parses as a URL
// neither as it is nor after "http://"). A value that parses to a URL without a
// host is used, and every connection through it fails.
func httpsProxyInUse(value string) *url.URL {
	p, _ := (&httpproxy.Config{HTTPSProxy: value}).ProxyFunc()(&url.URL{Scheme: "https", Host: "login.microsoftonline.com"})
	return p
}

// redactURL drops credentials from a proxy URL: the report is attached to tickets.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.Host == "" {
		// Not host:port (a typo such as "proxy:8080:8080" reads as scheme "proxy"
		// and opaque "8080:8080"): any part of it may be a credential.
		return "an address without a host"
	}
	if c.User == nil {
		return c.String()
	}
	c.User = nil
	scheme, rest, _ := strings.Cut(c.String(), "://")
	return scheme + "://***@" + rest
}

func machineChecks(cfg *Config) []Check {
	return []Check{
		versionCheck(cfg),
		terminalCheck(cfg),
		sessionCheck(cfg),
		browserCheck(cfg),
		proxyCheck(cfg),
		certsCheck(cfg),
	}
}

func versionCheck(cfg *Config) Check {
	v := cfg.Version
	if v == "" {
		v = "(unknown version)"
	}
	ev := v
	if !strings.Contains(ev, cfg.GOOS+"/"+cfg.GOARCH) {
		ev += fmt.Sprintf(" on %s/%s (%s)", cfg.GOOS, cfg.GOARCH, runtime.Version())
	}
	return Check{ID: "machine.version", Group: "machine", Title: "d365consent", Status: OK, Evidence: ev}
}

func terminalCheck(cfg *Config) Check {
	c := Check{ID: "machine.terminal", Group: "machine", Title: "Terminal", Status: OK}
	caps := termcaps.Detect(cfg.Environ, cfg.GOOS)
	t := cfg.Terminal
	if !t.IsTerminal {
		c.Evidence = "output is not a terminal (piped or redirected): plain text, no colour"
		return c
	}
	size := "size unknown"
	if t.Width > 0 {
		size = fmt.Sprintf("%dx%d", t.Width, t.Height)
	}
	colour := "no colour"
	if caps.Color && t.Profile != "" && t.Profile != "NoTTY" && t.Profile != "Ascii" {
		colour = "colour (" + t.Profile + ")"
	}
	glyphs := "Unicode (" + caps.Reason + ")"
	if !caps.Unicode {
		glyphs = "ASCII only (" + caps.Reason + ")"
	}
	c.Evidence = fmt.Sprintf("%s, %s, %s", size, colour, glyphs)
	switch {
	case !caps.Unicode:
		c.Status = Warn
		c.Summary = "terminal shows ASCII only"
		c.Fix = "Everything works in ASCII; for ✓/✗ and a scannable QR code use a UTF-8 locale (LANG=C.UTF-8) or Windows Terminal."
	case t.Width > 0 && t.Width < 80:
		c.Status = Warn
		c.Summary = "terminal narrower than 80 columns"
		c.Fix = "Widen the window to at least 80 columns: the wizard's permission table wraps below that."
	}
	return c
}

func sessionCheck(cfg *Config) Check {
	c := Check{ID: "machine.session", Group: "machine", Title: "Session", Status: OK}
	var parts []string
	if browser.SSHSession(cfg.Environ) {
		parts = append(parts, "SSH session")
	} else {
		parts = append(parts, "local session")
	}
	if v := env(cfg.Environ, cfg.GOOS, "WSL_DISTRO_NAME"); v != "" {
		parts = append(parts, "WSL ("+v+")")
	} else if env(cfg.Environ, cfg.GOOS, "WSL_INTEROP") != "" {
		parts = append(parts, "WSL")
	}
	switch cfg.GOOS {
	case "windows", "darwin":
		parts = append(parts, "desktop OS")
	default:
		if d, k := envAny(cfg.Environ, cfg.GOOS, "WAYLAND_DISPLAY", "DISPLAY"); d != "" {
			parts = append(parts, "display "+k+"="+d)
		} else {
			parts = append(parts, "no graphical display (DISPLAY, WAYLAND_DISPLAY unset)")
		}
	}
	c.Evidence = strings.Join(parts, ", ")
	return c
}

func browserCheck(cfg *Config) Check {
	c := Check{ID: "machine.browser", Group: "machine", Title: "Browser for sign-in", Status: OK}
	switch {
	case cfg.DeviceCode:
		c.Evidence = "--device-code: sign-in uses a device code, entered on any device"
		return c
	case cfg.NoBrowser:
		c.Evidence = "--no-browser: the sign-in address is shown, to open in a browser on this machine"
		return c
	}
	l, err := cfg.Browser.Plan(cfg.Cloud.Authority("organizations") + "/oauth2/v2.0/authorize")
	if err != nil {
		var nb *browser.UnavailableError
		reason := err.Error()
		if errors.As(err, &nb) {
			reason = nb.Reason
		}
		c.Status = Warn
		c.Summary = "no browser here: sign-in will use a device code"
		c.Evidence = "no browser can open here (" + reason + "): sign-in will use a device code"
		c.Fix = "Enter the code the wizard shows at the device-login page on any device; if Conditional Access blocks device-code sign-in, run d365consent on a machine with a browser."
		return c
	}
	how := l.Method
	if l.Method == browser.LaunchPkgBrowser {
		switch cfg.GOOS {
		case "windows":
			how = "the default browser"
		case "darwin":
			how = "the default browser via open"
		default:
			how = "the default browser via xdg-open"
		}
	} else {
		how = "the Windows browser through " + l.Method
	}
	c.Evidence = fmt.Sprintf("sign-in opens %s (%s), with a redirect back to localhost", how, l.Reason)
	return c
}

func proxyCheck(cfg *Config) Check {
	c := Check{ID: "machine.proxy", Group: "machine", Title: "Proxy", Status: OK}
	pc, keys := proxyConfig(cfg.Environ, cfg.GOOS)
	var parts []string
	for _, base := range []string{cfg.Cloud.AuthorityHost, cfg.Cloud.GraphURL} {
		u, err := url.Parse(base + "/")
		if err != nil {
			continue
		}
		p, err := cfg.Proxy(u)
		if err != nil {
			c.Status = Fail
			c.Summary = "proxy setting is not a valid URL"
			c.Evidence = fmt.Sprintf("%s is not a proxy URL Go can use: %v", keys["https"]+keys["http"], err)
			c.Fix = "Set HTTPS_PROXY to the proxy's address, e.g. http://proxy.example.com:8080, or unset it."
			return c
		}
		h := hostOf(base)
		if p == nil {
			parts = append(parts, h+" direct")
		} else {
			parts = append(parts, h+" via "+redactURL(p))
		}
	}
	parts = dedupe(parts)
	switch {
	case pc.HTTPSProxy == "" && pc.HTTPProxy == "":
		c.Evidence = "HTTPS_PROXY and HTTP_PROXY unset: " + strings.Join(parts, ", ")
	default:
		var set []string
		for _, k := range []string{keys["https"], keys["http"], keys["no"]} {
			if k != "" {
				set = append(set, k)
			}
		}
		c.Evidence = strings.Join(parts, ", ") + " (from " + strings.Join(set, ", ") + ")"
	}
	// A value Go ignores means direct connections; one without a host is used, and
	// every connection to it fails (proxyconnect tcp: dial tcp :0).
	if pc.HTTPSProxy != "" {
		switch pu := httpsProxyInUse(pc.HTTPSProxy); {
		case pu == nil:
			c.Status = Warn
			c.Summary = keys["https"] + " is not a valid URL"
			c.Evidence = keys["https"] + " is not a valid URL, so Go ignores it: " + strings.Join(parts, ", ")
			c.Fix = "Set " + keys["https"] + " to the proxy's address, e.g. http://proxy.example.com:8080, or unset it."
		case pu.Host == "":
			c.Status = Fail
			c.Summary = keys["https"] + " has no proxy host"
			c.Evidence = keys["https"] + " is a URL without a host (a port typed twice?), and Go does not ignore it: " +
				"every HTTPS connection goes to that proxy and fails (proxyconnect tcp :0): " + strings.Join(parts, ", ")
			c.Fix = "Set " + keys["https"] + " to the proxy's address, e.g. http://proxy.example.com:8080, or unset it."
		}
	}
	if pc.HTTPSProxy == "" && pc.HTTPProxy != "" {
		c.Status = Warn
		c.Summary = "HTTP_PROXY is set but HTTPS_PROXY is not"
		c.Evidence = keys["http"] + " is set, but Go uses HTTPS_PROXY for https:// addresses: " + strings.Join(parts, ", ")
		c.Fix = `If this network only lets the web out through the proxy, set HTTPS_PROXY too: export HTTPS_PROXY="$HTTP_PROXY"`
	}
	return c
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		dup := false
		for _, o := range out {
			dup = dup || o == v
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

// homeRedact replaces the user's home directory with ~ (a path names the user).
func homeRedact(cfg *Config, p string) string {
	home, _ := envAny(cfg.Environ, cfg.GOOS, "HOME", "USERPROFILE")
	home = strings.TrimRight(home, `/\`)
	if home == "" || !strings.HasPrefix(p, home) {
		return p // no home, or "/" (every path would start with ~)
	}
	if rest := p[len(home):]; rest == "" || rest[0] == '/' || cfg.GOOS == "windows" && rest[0] == '\\' {
		return "~" + rest
	}
	return p // /home/al is not a prefix of /home/alice's files
}

func certsCheck(cfg *Config) Check {
	c := Check{ID: "machine.certs", Group: "machine", Title: "Trusted certificates", Status: OK}
	file := env(cfg.Environ, cfg.GOOS, "SSL_CERT_FILE")
	dir := env(cfg.Environ, cfg.GOOS, "SSL_CERT_DIR")
	if file == "" && dir == "" {
		c.Evidence = "the system trust store (SSL_CERT_FILE, SSL_CERT_DIR unset)"
		return c
	}
	if cfg.GOOS == "windows" || cfg.GOOS == "darwin" {
		c.Status = Warn
		c.Summary = "SSL_CERT_FILE/SSL_CERT_DIR are ignored on this OS"
		c.Evidence = fmt.Sprintf("SSL_CERT_FILE/SSL_CERT_DIR are set, but on %s Go trusts the system's certificate store only", cfg.GOOS)
		c.Fix = "Add the CA certificate to the system's certificate store (Windows: certlm.msc, Trusted Root Certification Authorities; macOS: Keychain Access, System)."
		return c
	}
	var parts []string
	if file != "" {
		shown := homeRedact(cfg, file)
		data, err := cfg.ReadFile(file)
		n := countPEM(data)
		switch {
		case err != nil:
			c.Status = Fail
			c.Summary = "SSL_CERT_FILE cannot be read"
			c.Evidence = "SSL_CERT_FILE=" + shown + ": " + describeFSError(err)
			c.Fix = "Point SSL_CERT_FILE at a PEM file of CA certificates, or unset it to use the system trust store."
			return c
		case n == 0:
			c.Status = Fail
			c.Summary = "SSL_CERT_FILE holds no certificate"
			c.Evidence = "SSL_CERT_FILE=" + shown + ": no PEM certificate in it"
			c.Fix = "Point SSL_CERT_FILE at a PEM file of CA certificates (-----BEGIN CERTIFICATE-----), or unset it."
			return c
		}
		parts = append(parts, fmt.Sprintf("SSL_CERT_FILE=%s (%s, instead of the system's file)", shown, plural(n, "certificate")))
	}
	if dir != "" {
		var ok []string
		for _, d := range strings.Split(dir, ":") {
			if d == "" {
				continue
			}
			if _, err := cfg.ReadDir(d); err != nil {
				c.Status = Warn
				c.Summary = "an SSL_CERT_DIR directory cannot be read"
				c.Fix = "Fix or remove that directory in SSL_CERT_DIR."
				parts = append(parts, "SSL_CERT_DIR "+homeRedact(cfg, d)+": "+describeFSError(err))
				continue
			}
			ok = append(ok, homeRedact(cfg, d))
		}
		if len(ok) > 0 {
			parts = append(parts, "SSL_CERT_DIR="+strings.Join(ok, ":")+" (instead of the system's directories)")
		}
	}
	c.Evidence = strings.Join(parts, "; ")
	return c
}

func describeFSError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

func countPEM(data []byte) int {
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return n
		}
		if b.Type == "CERTIFICATE" {
			n++
		}
	}
}
