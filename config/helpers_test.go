package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testToken has the shape of a real bot token.
const testToken = "123456:TEST-token_abc"

// testSalt is a made-up PingPong salt.
const testSalt = "SALT5ECRET0123456789"

// minimalYAML is the smallest file that validates once a bot token is set.
const minimalYAML = `
pingpong:
  client_id: "2018092714313010016"
  acc_id: "2018092714313010016291"
  webhook_secret: ` + testSalt + `
products:
  - sku: ebook
    name: E-book
    price: "9.99"
    currency: USD
    delivery: https://example.com/ebook.pdf
`

// fakeEnv returns a Getenv that looks up only vars, never the real environment.
func fakeEnv(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		value, ok := vars[name]
		return value, ok
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// workDirWithYAML returns a temporary directory whose configs/config.yaml
// contains content.
func workDirWithYAML(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, defaultConfigFile, content)
	return dir
}

func load(t *testing.T, dir string, vars map[string]string) (*Config, error) {
	t.Helper()
	return Load(LoadOptions{Getenv: fakeEnv(vars), WorkDir: dir})
}

func mustLoad(t *testing.T, dir string, vars map[string]string) *Config {
	t.Helper()
	cfg, err := load(t, dir, vars)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

// loadProblems loads a configuration that must be invalid and returns its
// problems.
func loadProblems(t *testing.T, dir string, vars map[string]string) []string {
	t.Helper()
	_, err := load(t, dir, vars)
	if err == nil {
		t.Fatal("Load succeeded, want a validation error")
	}
	var validation *ValidationError
	if !errors.As(err, &validation) {
		t.Fatalf("Load error is %T (%v), want *ValidationError", err, err)
	}
	return validation.Problems
}

// withToken returns vars plus a valid bot token.
func withToken(vars map[string]string) map[string]string {
	out := map[string]string{"TELEGRAM_BOT_TOKEN": testToken}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

func assertProblem(t *testing.T, problems []string, want string) {
	t.Helper()
	for _, p := range problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("no problem contains %q; problems:\n%s", want, strings.Join(problems, "\n"))
}

func assertNoProblemMentions(t *testing.T, problems []string, text string) {
	t.Helper()
	for _, p := range problems {
		if strings.Contains(p, text) {
			t.Errorf("problem %q contains %q", p, text)
		}
	}
}
